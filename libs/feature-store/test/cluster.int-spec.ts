import { Cluster, Redis } from 'ioredis';
import { DisposableRedis } from '@storeloop/testing';
import {
  allUserKeys,
  applyEventBatch,
  erasedUsersKey,
  eraseUser,
  hashSlot,
  itemKeys,
  offsetsKey,
  readItemViews,
  readSkuStoreViews,
  readUserViews,
  skuStoreKeys,
  userKeys,
} from '../src';
import { EVENTS_TOPIC } from './support/events';
import { DisposableRedisCluster } from './support/redis-cluster';
import { T, everything } from './support/scenario';

const NAMESPACE = 'features-cluster-test';

describe('feature views on a Redis Cluster of three masters', () => {
  let cluster: DisposableRedisCluster;
  let redis: Cluster;
  let single: DisposableRedis;
  let reference: Redis;

  beforeAll(async () => {
    cluster = await DisposableRedisCluster.start();
    // The ground-truth spec runs on clients from createRedis; a plain one here keeps ioredis's command
    // timers (left behind by CLIENT SETINFO, which Redis 7.0 rejects) from holding Jest open.
    redis = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { keyPrefix: 'sl:' },
    );
    await new Promise((resolve) => redis.once('ready', resolve));
    single = await DisposableRedis.create();
    await single.start();
    reference = new Redis(single.url(15), { keyPrefix: 'sl:' });
  });
  afterAll(async () => {
    await Promise.all([redis.quit(), reference.quit()]);
    await cluster.stop();
    await single.stop();
  });
  beforeEach(async () => {
    await Promise.all([...redis.nodes('master').map((node) => node.flushall()), reference.flushall()]);
  });

  /** Every key on every master, with the master's port. */
  async function keysByNode(): Promise<Map<string, string[]>> {
    const nodes = redis.nodes('master');
    const keys = await Promise.all(nodes.map((node) => node.keys('*')));
    return new Map(nodes.map((node, i) => [String(node.options.port), keys[i]]));
  }

  it('computes the same slot as CLUSTER KEYSLOT for every kind of key', async () => {
    const store = skuStoreKeys('acme', 'SKU{1}', 'store:9');
    const keys = [
      ...allUserKeys(userKeys('default', 'user-1')),
      ...allUserKeys(userKeys('default', 'a{b}%c')),
      ...Object.values(itemKeys('acme', 'SKU{1}')),
      store.stock,
      store.movements,
      offsetsKey('group', EVENTS_TOPIC),
      erasedUsersKey('default'),
      'no-tag-at-all',
    ].map((key) => `sl:${key}`);
    const slots = await Promise.all(keys.map((key) => redis.cluster('KEYSLOT', key)));
    expect(keys.map(hashSlot)).toEqual(slots);
  });

  it('applies exactly once and serves the same views as a single redis-server', async () => {
    const once = await applyEventBatch(reference, everything, { offsetNamespace: NAMESPACE });
    const first = await applyEventBatch(redis, everything, { offsetNamespace: NAMESPACE });
    const again = await applyEventBatch(redis, everything, { offsetNamespace: NAMESPACE });
    expect(first).toEqual(once);
    expect(again.applied).toBe(0);

    const read = async (client: Redis | Cluster) => ({
      users: await readUserViews(client, ['u1', 'u2'], { asOf: T }),
      items: await readItemViews(client, ['A', 'B'], { asOf: T }),
      stock: await readSkuStoreViews(client, [{ sku: 'A', store: 'store-1' }], { asOf: T }),
    });
    expect(await read(redis)).toEqual(await read(reference));
    // The entities live on more than one master, so the per-node paths were taken.
    const populated = [...(await keysByNode()).values()].filter((keys) => keys.length > 0);
    expect(populated.length).toBeGreaterThan(1);
  });

  it('reads with one pipeline per node, all sent together', async () => {
    await applyEventBatch(redis, everything, { offsetNamespace: NAMESPACE });
    const userIds = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const pipeline = jest.spyOn(redis, 'pipeline');
    await readUserViews(redis, userIds, { asOf: T });
    const nodes = new Set(userIds.map((userId) => redis.slots[hashSlot(`sl:${userKeys('default', userId).main}`)].join()));
    expect(nodes.size).toBe(3);
    expect(pipeline).toHaveBeenCalledTimes(3);
    pipeline.mockRestore();
  });

  it('erases a user: no key on any node holds the id', async () => {
    await applyEventBatch(redis, everything, { offsetNamespace: NAMESPACE });
    await eraseUser(redis, 'u1');
    const keys = [...(await keysByNode()).values()].flat();
    expect(keys.filter((key) => key.includes('u1'))).toEqual([]);
    expect(keys).toContain('sl:default:{u:u2}');
    expect((await readUserViews(redis, ['u1'], { asOf: T }))[0].known).toBe(false);
  });
});
