import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import type { RedisClient } from '@storeloop/feature-store';
import { StoreloopError, type Logger } from '@storeloop/observability';

export const STORE_REBUILDING = 'FEATURES.STORE_REBUILDING';

/** What the marker says about the store, from this instance's point of view. */
export type MarkerCheck =
  /** The store is the one this instance has been writing to. */
  | { state: 'same'; epoch: string }
  /** The store is new to this instance: it was rebuilt (possibly by us just now) and every position must be read again. */
  | { state: 'changed'; epoch: string; rebuiltHere: boolean };

/** Creates the marker in `rebuilding` state if there is none; returns 1 when this caller created it. */
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'state', 'rebuilding', 'leader', ARGV[2], 'since', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** Marks the store ready, only if this caller still holds the claim. */
const READY_SCRIPT = `
if redis.call('HGET', KEYS[1], 'leader') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'ready')
redis.call('PERSIST', KEYS[1])
return 1`;

const LEASE_EXTRA_MS = 30_000;

export interface StoreMarkerOptions {
  /** Consumer group; the marker and the stored offsets live under it. */
  namespace: string;
  /** The client's REDIS_KEY_PREFIX: scanned keys carry it, commands add it. */
  keyPrefix: string;
  /** How long a rebuild leader waits for batches that other instances began before the wipe. */
  fenceMs: number;
  logger: Logger;
  /** Batches of this process between passing `check` and finishing their writes. */
  inflight: () => number;
}

/**
 * Notices when Redis has lost the feature store (FLUSHALL, a new empty
 * instance, a failover to an empty replica) and coordinates the rebuild.
 *
 * The store carries a marker `{store:<namespace>}` with an epoch. Every batch
 * reads it before writing. Missing: the first instance to see that claims the
 * marker (state `rebuilding`, under a lease), waits `fenceMs` for batches
 * that other instances began before the wipe, deletes every feature key and
 * stored offset (what those batches wrote on top of the empty store would
 * otherwise carry offset guards past events that were never applied), and
 * marks the store ready with a new epoch. Every instance, on seeing an epoch
 * it does not know, reads its positions again: the offsets are gone, so it
 * replays its partitions from the beginning of the log.
 */
export class StoreMarker {
  private epoch: string | undefined;
  private readonly instance = randomUUID();
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: StoreMarkerOptions,
  ) {
    this.key = `{store:${options.namespace}}`;
  }

  get knownEpoch(): string | undefined {
    return this.epoch;
  }

  /** On this process's first look, takes the epoch of a ready store as its own (no rebuild, no error otherwise). */
  async adopt(): Promise<void> {
    if (this.epoch !== undefined) return;
    const [epoch, state] = await this.redis.hmget(this.key, 'epoch', 'state');
    if (epoch !== null && state === 'ready' && this.epoch === undefined) this.epoch = epoch;
  }

  /** Reads the marker; throws a retriable STORE_REBUILDING while another instance rebuilds. */
  async check(): Promise<MarkerCheck> {
    const [epoch, state] = await this.redis.hmget(this.key, 'epoch', 'state');
    if (epoch !== null && state === 'ready') {
      if (epoch === this.epoch) return { state: 'same', epoch };
      const first = this.epoch === undefined;
      this.epoch = epoch;
      // On this process's first look, a ready store is simply where we resume.
      return first ? { state: 'same', epoch } : { state: 'changed', epoch, rebuiltHere: false };
    }
    if (epoch !== null) {
      throw new StoreloopError(STORE_REBUILDING, `the feature store is being rebuilt (epoch ${epoch}); waiting`, { retriable: true });
    }
    return this.rebuild();
  }

  private async rebuild(): Promise<MarkerCheck> {
    const { logger, fenceMs } = this.options;
    const epoch = String(Math.max(Date.now(), Number(this.epoch ?? 0) + 1));
    const claimed = await this.redis.eval(CLAIM_SCRIPT, 1, this.key, epoch, this.instance, String(Date.now()), String(fenceMs + LEASE_EXTRA_MS));
    if (claimed !== 1) {
      throw new StoreloopError(STORE_REBUILDING, 'another instance is starting a rebuild of the feature store; waiting', { retriable: true });
    }
    logger.warn({ marker: this.key, epoch, fenceMs }, 'feature store marker missing: Redis lost its state or is new; rebuilding from Kafka');
    const started = Date.now();
    // Batches of this process that passed their check before the wipe finish first; other processes get fenceMs.
    while (this.options.inflight() > 0 && Date.now() - started < fenceMs + LEASE_EXTRA_MS / 2) await sleep(20);
    const remaining = fenceMs - (Date.now() - started);
    if (remaining > 0) await sleep(remaining);
    const deleted = await this.deleteFeatureKeys();
    const ready = await this.redis.eval(READY_SCRIPT, 1, this.key, this.instance);
    if (ready !== 1) {
      throw new StoreloopError(STORE_REBUILDING, 'lost the rebuild claim (lease expired); another instance takes over', { retriable: true });
    }
    this.epoch = epoch;
    logger.warn({ epoch, deletedKeys: deleted, ms: Date.now() - started }, 'feature store cleared; replaying the retained topics');
    return { state: 'changed', epoch, rebuiltHere: true };
  }

  /** Feature keys and this namespace's stored offsets, on every master; other services' keys stay. */
  private async deleteFeatureKeys(): Promise<number> {
    const prefix = this.options.keyPrefix;
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const ours = new RegExp(
      `^${escaped(prefix)}(?:[^{]*\\{(?:u|i):|[^{]*\\{erased-users\\}|\\{o:${escaped(this.options.namespace)}:)`,
    );
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        const doomed = keys.filter((key) => ours.test(key));
        if (doomed.length) {
          // Commands add the prefix again; one key per UNLINK keeps a cluster node's slots apart.
          const pipeline = node.pipeline();
          for (const key of doomed) pipeline.unlink(key.slice(prefix.length));
          await pipeline.exec();
          deleted += doomed.length;
        }
      } while (cursor !== '0');
    }
    return deleted;
  }
}
