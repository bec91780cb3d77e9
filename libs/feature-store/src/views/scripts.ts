import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../client';
import { LIMITS } from './settings';

/** Forward-decayed scores are rebased on a new landmark once they grow past 2^64, long before doubles lose range. */
const FORWARD_DECAY_REBASE_HALF_LIVES = 64;

/**
 * Applies one entity's share of an event batch, each event at most once per
 * source partition.
 *
 * KEYS[1] is the entity's main hash; its field `@<topic>:<partition>` holds
 * the newest offset of that partition applied to the entity (the offset
 * guard). KEYS[2..] are the entity's other keys; ops name keys by index.
 * ARGV[1]: JSON `[[source, offset, ops], ...]`, offsets ascending per source
 * and in canonical decimal form. ARGV[2]: TTL in ms for every key written
 * (0: none). Returns `{applied, skipped}` event counts.
 *
 * The `#!lua` shebang makes Redis refuse the whole script when it is out of
 * memory instead of failing half-way, which would break exactly-once.
 */
const APPLY_ENTITY_LUA = `#!lua
local main = KEYS[1]
local groups = cjson.decode(ARGV[1])
local ttl = tonumber(ARGV[2])
local touched = {}

local function write(key) touched[key] = true; return key end
-- Landmarks read once per call; sorted sets trimmed once per call, at the end.
local landmarks, trims = {}, {}
-- Counters, decayed values and window marks are read once per call and written once, at the end:
-- an entity's events in one batch cost one write per field instead of one per event.
local increments, decays, marks = {}, {}, {}
local function increment(key, field, amount)
  local fields = increments[key]
  if not fields then fields = {}; increments[key] = fields end
  fields[field] = (fields[field] or 0) + amount
end
local function num(key, field) return tonumber(redis.call('HGET', key, field)) end
-- Decayed values are doubles; %.17g keeps every bit (HSET would keep 14 digits).
local function fmt(x) return string.format('%.17g', x) end

-- Offsets are canonical decimal strings of any length: compare without converting to doubles.
local function newer(offset, guard)
  if not guard then return true end
  if #offset ~= #guard then return #offset > #guard end
  return offset > guard
end

local function refreshAvailability(stock, availability, store)
  local f = redis.call('HMGET', stock, 'cnt|oh', 'mv|in', 'mv|out')
  local onHand = (tonumber(f[1]) or 0) + (tonumber(f[2]) or 0) - (tonumber(f[3]) or 0)
  redis.call('HSET', write(availability), store, math.max(0, onHand))
end

local ops = {}

-- hset key field value [field value ...]
function ops.hset(a) redis.call('HSET', write(KEYS[a[2]]), unpack(a, 3)) end

-- hincr key field amount (amount may be a string: money units exceed 14 digits, and go straight to Redis)
function ops.hincr(a)
  local key = write(KEYS[a[2]])
  if type(a[4]) == 'string' then redis.call('HINCRBY', key, a[3], a[4]) else increment(key, a[3], a[4]) end
end

-- hmax / hmin key field value: keep the larger / smaller
function ops.hmax(a)
  local key = write(KEYS[a[2]])
  local current = num(key, a[3])
  if not current or a[4] > current then redis.call('HSET', key, a[3], a[4]) end
end
function ops.hmin(a)
  local key = write(KEYS[a[2]])
  local current = num(key, a[3])
  if not current or a[4] < current then redis.call('HSET', key, a[3], a[4]) end
end

-- hsetnewer key timeField time field value ...: last writer by event time wins (ties: the later offset)
function ops.hsetnewer(a)
  local key = write(KEYS[a[2]])
  local current = num(key, a[3])
  if current and a[4] < current then return end
  redis.call('HSET', key, a[3], a[4], unpack(a, 5))
end

-- decay key field time halfLife amount: counter stored as (value, time of the newest event)
function ops.decay(a)
  local key, field, t, halfLife, amount = write(KEYS[a[2]]), a[3], a[4], a[5], a[6]
  local id = key .. '\0' .. field
  local d = decays[id]
  if not d then
    local stored = redis.call('HMGET', key, field, field .. '@')
    d = { key = key, field = field, value = tonumber(stored[1]), at = tonumber(stored[2]) }
    decays[id] = d
  end
  if not d.value then
    d.value, d.at = amount, t
  elseif t >= d.at then
    d.value, d.at = d.value * 2 ^ (-(t - d.at) / halfLife) + amount, t
  else
    d.value = d.value + amount * 2 ^ (-(d.at - t) / halfLife)
  end
end

-- win key prefix time amount [label size count ...]: bucketed counts; field prefix|wm keeps the newest time.
-- Buckets older than the newest bucket's window are deleted as the window moves, and an event
-- already outside it is not counted, so every stored bucket is one a window can still read.
function ops.win(a)
  local key, prefix, t, amount = write(KEYS[a[2]]), a[3], a[4], a[5]
  local id = key .. '\0' .. prefix
  local mark = marks[id]
  if not mark then
    mark = { key = key, field = prefix .. '|wm', value = num(key, prefix .. '|wm') }
    marks[id] = mark
  end
  local newest = mark.value
  for j = 6, #a, 3 do
    local label, size, count = a[j], a[j + 1], a[j + 2]
    local bucket = math.floor(t / size)
    local top = newest and math.floor(newest / size)
    if not top or bucket > top - count then
      increment(key, prefix .. '|' .. label .. '|' .. bucket, amount)
    end
    if top and bucket > top then
      local stale, pending = {}, increments[key]
      for old = top - count + 1, math.min(top, bucket - count) do
        local field = prefix .. '|' .. label .. '|' .. old
        stale[#stale + 1] = field
        if pending then pending[field] = nil end
      end
      if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
    end
  end
  if not newest or t > newest then mark.value = t; mark.dirty = true end
end

-- zdecay key member time amount halfLife cap landmarkField: forward-decayed sorted set, landmark in KEYS[1]
function ops.zdecay(a)
  local key, member, t, amount, halfLife, cap, landmarkField = write(KEYS[a[2]]), a[3], a[4], a[5], a[6], a[7], a[8]
  local landmark = landmarks[landmarkField]
  if landmark == nil then
    landmark = num(main, landmarkField) or false
    landmarks[landmarkField] = landmark
  end
  if not landmark or (t - landmark) / halfLife > ${FORWARD_DECAY_REBASE_HALF_LIVES} then
    if landmark then
      local factor = 2 ^ (-(t - landmark) / halfLife)
      local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
      for i = 1, #entries, 2 do redis.call('ZADD', key, fmt(tonumber(entries[i + 1]) * factor), entries[i]) end
    end
    landmark = t
    landmarks[landmarkField] = t
    redis.call('HSET', write(main), landmarkField, t)
  end
  redis.call('ZINCRBY', key, fmt(amount * 2 ^ ((t - landmark) / halfLife)), member)
  trims[key] = cap
end

-- lpush key value cap / lpushdistinct key value cap: newest first, bounded
function ops.lpush(a)
  local key = write(KEYS[a[2]])
  redis.call('LPUSH', key, a[3])
  redis.call('LTRIM', key, 0, a[4] - 1)
end
function ops.lpushdistinct(a)
  local key = write(KEYS[a[2]])
  redis.call('LREM', key, 0, a[3])
  redis.call('LPUSH', key, a[3])
  redis.call('LTRIM', key, 0, a[4] - 1)
end

function ops.del(a) redis.call('DEL', KEYS[a[2]]) end

-- stockcount stock movements availability store asOf onHand onOrder: a newer count replaces the
-- baseline and the movements it already includes (time <= asOf)
function ops.stockcount(a)
  local stock, movements, availability = write(KEYS[a[2]]), write(KEYS[a[3]]), KEYS[a[4]]
  local store, asOf, onHand, onOrder = a[5], a[6], a[7], a[8]
  local counted = num(stock, 'cnt@')
  if counted and asOf < counted then return end
  redis.call('HSET', stock, 'cnt@', asOf, 'cnt|oh', onHand, 'cnt|oo', onOrder)
  redis.call('ZREMRANGEBYSCORE', movements, '-inf', asOf)
  local sums = { ['in'] = 0, out = 0 }
  for _, member in ipairs(redis.call('ZRANGE', movements, 0, -1)) do
    local direction, quantity = string.match(member, '^(%a+):(%d+):')
    sums[direction] = sums[direction] + tonumber(quantity)
  end
  redis.call('HSET', stock, 'mv|in', sums['in'], 'mv|out', sums.out)
  refreshAvailability(stock, availability, store)
end

-- stockmove stock movements availability store member direction quantity time: goods in or units out
-- after the last count; member is "<direction>:<quantity>:<unique id>"
function ops.stockmove(a)
  local stock, movements, availability = write(KEYS[a[2]]), write(KEYS[a[3]]), KEYS[a[4]]
  local store, member, direction, quantity, t = a[5], a[6], a[7], a[8], a[9]
  local counted = num(stock, 'cnt@')
  if counted and t <= counted then return end
  if redis.call('ZADD', movements, t, member) == 1 then redis.call('HINCRBY', stock, 'mv|' .. direction, quantity) end
  if redis.call('ZCARD', movements) > ${LIMITS.stockMovementsKept} then redis.call('ZPOPMIN', movements) end
  refreshAvailability(stock, availability, store)
end

local guards, advanced = {}, {}
local applied, skipped = 0, 0
for _, group in ipairs(groups) do
  local field, offset = '@' .. group[1], group[2]
  if guards[field] == nil then guards[field] = redis.call('HGET', main, field) end
  if newer(offset, guards[field]) then
    for _, a in ipairs(group[3]) do ops[a[1]](a) end
    guards[field] = offset
    advanced[field] = true
    applied = applied + 1
  else
    skipped = skipped + 1
  end
end
for key, fields in pairs(increments) do
  for field, amount in pairs(fields) do redis.call('HINCRBY', key, field, amount) end
end
for _, d in pairs(decays) do redis.call('HSET', d.key, d.field, fmt(d.value), d.field .. '@', d.at) end
for _, mark in pairs(marks) do
  if mark.dirty then redis.call('HSET', mark.key, mark.field, mark.value) end
end
for key, cap in pairs(trims) do redis.call('ZREMRANGEBYRANK', key, 0, -(cap + 1)) end
for field in pairs(advanced) do redis.call('HSET', write(main), field, guards[field]) end
if ttl > 0 then
  for key in pairs(touched) do redis.call('PEXPIRE', key, ttl) end
end
return { applied, skipped }
`;

/**
 * KEYS[1]: hash partition → next offset. ARGV: partition, next offset, ...
 * An offset never moves back, so a consumer that lost its partition and
 * finishes a stale batch late cannot rewind the one that took over.
 */
const ADVANCE_OFFSETS_LUA = `#!lua
for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local offset = ARGV[i + 1]
  if not current or #offset > #current or (#offset == #current and offset > current) then
    redis.call('HSET', KEYS[1], ARGV[i], offset)
  end
end
return 1
`;

const APPLY_ENTITY = 'storeloopApplyEntity';
const ADVANCE_OFFSETS = 'storeloopAdvanceOffsets';

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => unknown;

/**
 * Registers the scripts on the client (ioredis sends EVALSHA and falls back
 * to EVAL on NOSCRIPT, in pipelines too). Idempotent.
 */
function defineScripts(redis: RedisClient): void {
  if (APPLY_ENTITY in redis) return;
  redis.defineCommand(APPLY_ENTITY, { lua: APPLY_ENTITY_LUA });
  redis.defineCommand(ADVANCE_OFFSETS, { lua: ADVANCE_OFFSETS_LUA });
}

function scriptOn(pipeline: ChainableCommander, name: string): ScriptCommand {
  // ioredis adds defined commands to the client and its pipelines at run time; its types cannot know them.
  const command = (pipeline as unknown as Record<string, ScriptCommand | undefined>)[name];
  if (!command) throw new Error(`script ${name} is not defined on this Redis client`);
  return command.bind(pipeline);
}

/** Queues the apply-entity script on a pipeline of a client that went through `withScripts`. */
export function queueApplyEntity(pipeline: ChainableCommander, keys: readonly string[], groupsJson: string, ttlMs: number): void {
  scriptOn(pipeline, APPLY_ENTITY)(keys.length, ...keys, groupsJson, ttlMs);
}

export function queueAdvanceOffsets(pipeline: ChainableCommander, key: string, offsets: ReadonlyMap<number, string>): void {
  scriptOn(pipeline, ADVANCE_OFFSETS)(1, key, ...[...offsets].flatMap(([partition, offset]) => [partition, offset]));
}

/** The client, with the feature scripts defined on it. */
export function withScripts<R extends RedisClient>(redis: R): R {
  defineScripts(redis);
  return redis;
}
