// Helpers shared by the benchmarks (`npm run bench -- <name>`): build, infra,
// machine facts, the built services as child processes, Kafka and Redis
// housekeeping, result files and tables. Each bench is one module next to this
// one (ingest.mjs, later features.mjs, inference.mjs) that uses these.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDependencies, log, nxEnv, root, runOrExit } from '../lib.mjs';

export { log, root };

/** `require` for the workspace's CommonJS builds (libs/*\/dist, services/*\/dist) and installed packages. */
export const require = createRequire(join(root, 'package.json'));

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A short id for this run: names topics, groups, Redis keys and event ids. */
export function runId() {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function sha256Hex(text) {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** npm ci when needed, then `nx build` of the given projects (and what they depend on). */
export async function ensureBuilt(projects) {
  await ensureDependencies();
  log(`building ${projects.join(', ')} (nx, cached)`);
  await runOrExit('npx', ['nx', 'run-many', '-t', 'build', `--projects=${projects.join(',')}`, '--outputStyle=static'], {
    env: nxEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Local Kafka and Redis (idempotent), unless KAFKA_BROKERS and REDIS_URL point elsewhere. */
export async function ensureInfra() {
  if (process.env.KAFKA_BROKERS && process.env.REDIS_URL) {
    log(`using KAFKA_BROKERS=${process.env.KAFKA_BROKERS} and the configured REDIS_URL`);
    return;
  }
  await runOrExit('bash', ['tools/infra/infra.sh', 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function capture(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', () => resolve(''));
    child.on('exit', () => resolve(out));
  });
}

/** Process ids of the local Kafka broker(s) and Redis, from `infra.sh status` (empty with external infra). */
export async function infraPids() {
  if (process.env.KAFKA_BROKERS) return {};
  const status = await capture('bash', ['tools/infra/infra.sh', 'status']);
  const pids = {};
  for (const match of status.matchAll(/^(redis|kafka-\d+)\s+running\s+pid\s+(\d+)/gm)) pids[match[1].startsWith('kafka') ? 'kafka' : 'redis'] = Number(match[2]);
  return pids;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of a process, or the sum over several; null when one cannot be read. */
function processCpuSeconds(pids) {
  let total = 0;
  for (const pid of [pids].flat()) {
    try {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return null;
    }
  }
  return total;
}

function machineCpuSeconds() {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = values;
    return { busy: (user + nice + system + irq + softirq + steal) / CLOCK_TICKS, idle: (idle + iowait) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/**
 * CPU accounting over a measured window: CPU seconds of each named process
 * or group of processes (`{ service: [pid, pid], kafka: pid }`, Linux /proc), of this bench process, and of the whole machine, so results
 * on a shared box show who used the cores (and how much went to others).
 */
export function cpuMeter(pids) {
  const start = { at: Date.now(), self: process.cpuUsage(), machine: machineCpuSeconds(), procs: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)])) };
  return () => {
    const wall = (Date.now() - start.at) / 1000;
    const self = process.cpuUsage(start.self);
    const machine = machineCpuSeconds();
    const cores = (seconds) => (seconds === null ? null : Math.round((seconds / wall) * 100) / 100);
    const perProcess = {};
    let named = 0;
    for (const [name, pid] of Object.entries(pids)) {
      const now = processCpuSeconds(pid);
      const used = now === null || start.procs[name] === null ? null : now - start.procs[name];
      perProcess[name] = cores(used);
      named += used ?? 0;
    }
    const benchSeconds = (self.user + self.system) / 1e6;
    perProcess.bench = cores(benchSeconds);
    const busy = machine && start.machine ? machine.busy - start.machine.busy : null;
    const total = machine && start.machine ? busy + machine.idle - start.machine.idle : null;
    return {
      wallSeconds: Math.round(wall * 100) / 100,
      /** Average cores busy over the window, per process and for the machine. */
      coresUsed: {
        ...perProcess,
        other: busy === null ? null : cores(Math.max(0, busy - named - benchSeconds)),
        machine: cores(busy),
      },
      machineCores: total === null ? null : Math.round(total / wall),
      loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100,
    };
  };
}

/**
 * Waits (up to `maxSeconds`) until processes other than `pids` and this one
 * use less than `threshold` cores over a 2 s window: on a shared machine a
 * test run next door would otherwise halve the figures. Returns the last reading.
 */
export async function waitQuiet(pids, maxSeconds, threshold = 0.3) {
  const deadline = Date.now() + maxSeconds * 1000;
  let announced = false;
  for (;;) {
    const read = cpuMeter(pids);
    await sleep(2000);
    const reading = read();
    if (reading.coresUsed.other === null || reading.coresUsed.other < threshold || Date.now() >= deadline) {
      if (announced || reading.coresUsed.other >= threshold) log(`other processes use ${reading.coresUsed.other} cores${reading.coresUsed.other >= threshold ? ' (gave up waiting; figures are contended)' : ''}`);
      return reading;
    }
    if (!announced) log(`waiting up to ${maxSeconds} s for other processes to go quiet (now ${reading.coresUsed.other} cores)`);
    announced = true;
  }
}

/** What the numbers were measured on. */
export async function machineInfo() {
  const status = await capture('bash', ['tools/infra/infra.sh', 'status']);
  const kafkaVersion = /kafka-\d+\s+running.*?version\s+(\S+)/.exec(status)?.[1] ?? process.env.KAFKA_VERSION ?? null;
  const redisVersion = /redis\s+running.*?version\s+(\S+)/.exec(status)?.[1] ?? null;
  const brokers = (status.match(/kafka-\d+\s+running/g) ?? []).length || null;
  let distro = null;
  try {
    distro = /PRETTY_NAME="?([^"\n]+)"?/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    // not Linux
  }
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kafkaVersion,
    kafkaBrokers: brokers,
    redisVersion,
    os: `${distro ?? os.type()} (${os.platform()} ${os.release()}, ${os.arch()})`,
    sameHost: !process.env.KAFKA_BROKERS,
  };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a built service (`services/<name>/dist/main.js`) with `env` on a free
 * port, its output in `.local/bench/<logName>.log`, and waits for /health/ready.
 */
export async function startService(name, { env, nodeArgs = [], logName = name, readyTimeoutMs = 90_000 }) {
  const main = join(root, 'services', name, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${relative(root, main)} is missing: build first (drop --skip-build)`);
  const port = await freePort();
  const logDir = join(root, '.local/bench');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${logName}.log`);
  const out = createWriteStream(logFile);
  let tail = '';
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      out.write(chunk);
      tail = (tail + chunk).slice(-4000);
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = `http://127.0.0.1:${port}`;
  const service = {
    name,
    /** When the process was spawned (a --cpu-prof profile starts about then). */
    spawnedAt: Date.now(),
    url,
    child,
    logFile,
    output: () => tail,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const code = await exited;
        clearTimeout(timer);
        out.end();
        return code;
      }
      out.end();
      return exited;
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} while starting:\n${tail}`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await service.stop(1000);
      throw new Error(`${name} was not ready within ${readyTimeoutMs} ms:\n${tail}`);
    }
    await sleep(200);
  }
  return service;
}

/**
 * Sets the features service's store marker (`{store:<group>}`, behind the
 * client key prefix) as a running deployment leaves it: the service then
 * starts on an established, empty store instead of taking its wipe-and-replay
 * path (a 5 s fence, not ready until caught up).
 */
export async function markFeatureStoreReady(redis, keyPrefix, group) {
  await redis.hset(`${keyPrefix}{store:${group}}`, 'epoch', String(Date.now()), 'state', 'ready');
}

/** Waits until a consumer group is Stable with members: a service's consumer has joined and holds its partitions. */
export async function waitStableGroup(admin, group, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await admin.describeGroups([group]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return;
    if (Date.now() > deadline) throw new Error(`the consumer group ${group} is not stable after ${timeoutMs / 1000} s (${groups[0]?.state})`);
    await sleep(200);
  }
}

/**
 * The ingestion service's dedup mark of an event id (EventDeduplicator.key in
 * services/ingestion/src/intake/deduplicator.ts), so a bench can delete the
 * marks of the ids it handed out by name as well as by its key prefix.
 */
export function dedupMarkKey(source, id, tenant = 'default') {
  return `dedup:${createHash('sha256').update(`${tenant}\n${source}\n${id}`).digest('base64url')}`;
}

/** A quiet kafkajs client for the bench's own producers, consumers and admin calls. */
export function kafkaClient(clientId) {
  const { Kafka, logLevel } = require('kafkajs');
  return new Kafka({ clientId, brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.ERROR, retry: { retries: 8 } });
}

/** Creates the registry's topics under `prefix` (6 partitions etc., as the services would). */
export async function provisionPrefixedTopics(admin, prefix) {
  const { TOPICS } = require('@storeloop/contracts');
  const { provisionTopics, TopicNamer } = require('@storeloop/messaging');
  return provisionTopics(admin, Object.values(TOPICS), new TopicNamer(prefix));
}

/** Deletes every topic whose name starts with one of `prefixes`, and the given consumer groups. */
export async function deleteBenchKafkaState(admin, prefixes, groups = []) {
  const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  return topics;
}

/** Deletes Redis keys under `prefix` (dedup marks, rate-limit buckets of this run). */
export async function deleteRedisKeys(url, prefix) {
  const Redis = require('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** UNLINKs the given keys (any iterable, consumed in pipelined chunks); returns how many existed. */
export async function unlinkKeys(url, keys, chunk = 5000) {
  const Redis = require('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    let batch = [];
    const flush = async () => {
      if (batch.length > 0) deleted += await redis.unlink(...batch);
      batch = [];
    };
    for (const key of keys) {
      batch.push(key);
      if (batch.length >= chunk) await flush();
    }
    await flush();
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Sum over partitions of (high watermark - committed offset) of `group` on `topic`. */
export async function groupLag(admin, group, topic) {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  let lag = 0;
  let processed = 0;
  let high = 0;
  for (const p of ends) {
    const c = done.get(p.partition) ?? 0;
    lag += Number(p.high) - c;
    processed += c;
    high += Number(p.high);
  }
  return { lag, processed, high };
}

/**
 * Reads `topic` from the beginning with a read_committed consumer until
 * `expected` records are seen (or nothing new arrives for `idleMs`), counting
 * records and distinct values of `idOf(message)`.
 */
export async function countTopic(kafka, topic, { expected, idOf, idleMs = 10_000, timeoutMs = 300_000, onProgress }) {
  const consumer = kafka.consumer({ groupId: `bench-count-${randomBytes(4).toString('hex')}`, maxBytes: 50 * 1024 * 1024, readUncommitted: false });
  const ids = new Set();
  let records = 0;
  let lastGrowth = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        records++;
        ids.add(idOf(message));
      }
      lastGrowth = Date.now();
      onProgress?.(records);
    },
  });
  const started = Date.now();
  while (records < expected && Date.now() - lastGrowth < idleMs && Date.now() - started < timeoutMs) await sleep(100);
  // A moment more, to catch records past `expected` (duplicates would show there).
  if (records >= expected) await sleep(500);
  await consumer.disconnect();
  return { records, distinct: ids.size };
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function round(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The command line that is running, as a user would type it; set by bench.mjs, written into every result file. */
let invocation = null;

/** Quotes an argument for a POSIX shell only where it needs it. */
export function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Remembers how this process was invoked (`npm run bench --` and its arguments), for `writeResult`. */
export function recordInvocation(prefix, args) {
  invocation = [prefix, ...args.map(shellQuote)].join(' ');
}

/**
 * Writes a result file (pretty JSON, trailing newline) and returns its path
 * relative to the root. The command that produced it goes in as `command`
 * (when bench.mjs recorded one), so bench/RESULTS.md can say how to redo it.
 */
export function writeResult(file, result) {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  const content = invocation && result.command === undefined ? { ...result, command: invocation } : result;
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
  return relative(root, path);
}

/** A plain text table: rows of cells, the first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  // Text in the first and last columns reads left to right; figures in between align right.
  const left = (i) => i === 0 || i === widths.length - 1;
  const line = (r) => r.map((cell, i) => (left(i) ? String(cell ?? '').padEnd(widths[i]) : String(cell ?? '').padStart(widths[i]))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function formatRate(n) {
  return n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
}

/** Runs `cleanup` once, on normal completion or on Ctrl-C / SIGTERM (then exits 130). */
export function onCleanup(cleanup) {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    await cleanup();
  };
  const onSignal = (signal) => {
    log(`${signal}: cleaning up`);
    once().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return once;
}
