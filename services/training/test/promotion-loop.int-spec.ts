import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { TOPICS, modelLifecycleEventSchema, trainingExampleSchema, type ModelLifecycleEvent, type TrainingExample } from '@storeloop/contracts';
import { createRedis, erasedUsersKey, hashedUserId, loadRedisSettings, userKeys, type RedisClient } from '@storeloop/feature-store';
import { TopicNamer, provisionTopics } from '@storeloop/messaging';
import { mulberry32, type Random } from '@storeloop/ml';
import { createLogger } from '@storeloop/observability';
import { sha256Hex } from '@storeloop/platform';
import { RestartableService, TopicReader, deleteRedisKeysWithPrefix, freePort, testKafka, uniqueSuffix, waitFor } from '@storeloop/testing';

const PHASE = 800;
const USERS = 60;
const ADMIN_SECRET = 'it-training-admin-secret';

/** Standard normal from a seeded uniform source (Box-Muller). */
const gaussian = (random: Random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

type Concept = 'user-signal' | 'item-signal' | 'noise';

/**
 * Examples whose label follows a concept: `user-signal` (label from the user
 * feature `signal`), `item-signal` (from the item feature `signal`, the user
 * one being irrelevant), or `noise` (labels independent of every feature).
 * So "better" and "worse" challengers come from the data, not from a switch.
 */
function examples(tag: string, concept: Concept, count: number, start: number, t0: number, random: Random): TrainingExample[] {
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    const userSignal = gaussian(random);
    const itemSignal = gaussian(random);
    const noise = 0.3 * gaussian(random);
    const label = concept === 'noise' ? Number(random() < 0.5) : Number((concept === 'user-signal' ? userSignal : itemSignal) + noise > 0);
    const user = n % USERS;
    return trainingExampleSchema.parse({
      exampleId: `${tag}-ex-${n}`,
      userId: `${tag}-user-${user}`,
      sku: `${tag}-sku-${n % 25}`,
      label,
      eventTime: new Date(t0 + n * 1000).toISOString(),
      featureTime: new Date(t0 + n * 1000 - 1).toISOString(),
      kind: 'view',
      userFeatures: {
        signal: userSignal,
        'rfm.recencyDays': user % 3 === 0 ? 2 : 200 + user,
        'rfm.frequency': user % 3 === 0 ? 12 + (user % 5) : 1,
        'rfm.monetary': user % 3 === 0 ? 900 + user : 20,
        distractor: gaussian(random),
      },
      itemFeatures: { signal: itemSignal, price: 10 + (n % 25) },
    });
  });
}

describe('training: examples in, models trained, evaluated, promoted or rejected, rolled back (built service, real Kafka and Redis)', () => {
  const suffix = uniqueSuffix();
  const tag = `it-${suffix}`;
  const topicPrefix = `it-training-${suffix}.`;
  const redisKeyPrefix = `it:training:${suffix}:`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';
  const kafka = testKafka(`it-training-${suffix}`);
  const admin = kafka.admin();
  const namer = new TopicNamer(topicPrefix);
  const random = mulberry32(7);
  const t0 = Date.now() - 24 * 3600 * 1000;
  let producer: Producer;
  let models: TopicReader;
  let redis: RedisClient;
  let service: RestartableService;
  let serviceEnv: Record<string, string>;
  let dir: string;
  let sent = 0;

  const events = () => models.messages.map((m) => modelLifecycleEventSchema.parse(JSON.parse(m.message.value?.toString('utf8') ?? '{}')));
  const artifactDir = () => join(dir, 'artifacts');
  const champion = async () => JSON.parse(await readFile(join(artifactDir(), 'ranker', 'champion.json'), 'utf8')) as { version: string; previous: string[] };

  async function publish(batch: TrainingExample[]): Promise<void> {
    await producer.send({
      topic: namer.physical(TOPICS.trainingExamples.name),
      acks: -1,
      messages: batch.map((example) => ({ key: example.userId, value: JSON.stringify(example) })),
    });
    sent += batch.length;
  }

  async function nextRun(count: number): Promise<ModelLifecycleEvent[]> {
    await models.waitForCount(count, { timeoutMs: 240_000, intervalMs: 200 });
    return events();
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'it-training-'));
    await admin.connect();
    await provisionTopics(admin, Object.values(TOPICS), namer, { logger: createLogger('test', 'warn') });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    models = await new TopicReader(kafka, namer.physical(TOPICS.models.name)).start();
    redis = createRedis(loadRedisSettings({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: redisKeyPrefix }), 'it-training');
    await redis.connect();
    // Views the features service would have written: users 0-9 exist, user 3 was erased since.
    for (let user = 0; user < 10; user += 1) await redis.hset(userKeys('default', `${tag}-user-${user}`).main, 'rfm|n', '1');
    await redis.sadd(erasedUsersKey('default'), hashedUserId(`${tag}-user-3`));
    serviceEnv = {
        KAFKA_TOPIC_PREFIX: topicPrefix,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        LOG_LEVEL: 'info',
        API_KEYS: `it-admin:admin:${sha256Hex(ADMIN_SECRET)}`,
        ARTIFACT_DIR: artifactDir(),
        TRAINING_STATE_DIR: join(dir, 'state'),
        TRAINING_CONSUMER_GROUP: `it-training-${suffix}`,
        TRAINING_TRIGGER_NEW_EXAMPLES: String(PHASE),
        TRAINING_TRIGGER_INTERVAL_MS: '0',
        TRAINING_TRIGGER_DRIFT: 'false',
        TRAINING_MIN_EXAMPLES: '200',
        TRAINING_WINDOW_MAX_EXAMPLES: String(2 * PHASE),
        TRAINING_PROMOTION_METRIC: 'logLoss',
        TRAINING_PROMOTION_MARGIN: '0.02',
        TRAINING_MAX_EPOCHS: '40',
        TRAINING_SEGMENTS: '3',
        TRAINING_CHECK_INTERVAL_MS: '500',
        GIT_REVISION: 'it-revision',
    };
    service = new RestartableService('training', serviceEnv, await freePort());
    await service.start();
  });

  afterAll(async () => {
    if (process.env.KEEP_WORLD) console.info(service?.output().slice(-20000));
    await service?.dispose();
    await models?.stop();
    await producer?.disconnect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    await admin.disconnect();
    redis?.disconnect();
    await deleteRedisKeysWithPrefix(redisUrl, redisKeyPrefix).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('trains a first model on learnable examples, stores its artifact and promotes it over the base rate', async () => {
    await publish(examples(tag, 'user-signal', PHASE, sent, t0, random));
    const [trained, evaluated, promoted] = await nextRun(3);
    expect([trained.stage, evaluated.stage, promoted.stage]).toEqual(['trained', 'evaluated', 'promoted']);
    const v1 = trained.version;
    expect(new Set([trained.version, evaluated.version, promoted.version])).toEqual(new Set([v1]));
    expect(trained.championVersion).toBeNull();
    expect(promoted.championVersion).toBe(v1);
    expect(evaluated.metrics.auc).toBeGreaterThan(0.85);
    expect(evaluated.metrics.logLoss).toBeLessThan(evaluated.metrics['baseline.logLoss'] - 0.02);
    expect(['wasm', 'cpu', 'tensorflow']).toContain(trained.backend);

    // The artifact: complete, with its metadata, at the URI the events name.
    const versionDir = join(artifactDir(), 'ranker', 'versions', v1);
    expect(trained.artifactUri).toBe(`file://${versionDir}`);
    expect((await readdir(versionDir)).sort()).toEqual(['metadata.json', 'model.json', 'recommender.bin', 'recommender.json', 'segments.json', 'weights.bin']);
    const metadata = JSON.parse(await readFile(join(versionDir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({
      modelName: 'ranker',
      version: v1,
      parentVersion: null,
      gitRevision: 'it-revision',
      backend: trained.backend,
      dataWindow: { examples: PHASE, holdoutExamples: PHASE * 0.2, trainExamples: PHASE * 0.8 },
    });
    expect(metadata.details.featureNames).toEqual(['i.price', 'i.signal', 'u.distractor', 'u.rfm.frequency', 'u.rfm.monetary', 'u.rfm.recencyDays', 'u.signal']);
    expect(await champion()).toMatchObject({ version: v1, previous: [] });

    // Segments went into the views that exist, not into the erased user's, and created no view.
    const segment = await redis.hget(userKeys('default', `${tag}-user-0`).main, 'segment');
    expect(segment).toMatch(new RegExp(`^${v1}/[0-2]$`));
    expect(await redis.hget(userKeys('default', `${tag}-user-3`).main, 'segment')).toBeNull();
    expect(await redis.exists(userKeys('default', `${tag}-user-42`).main)).toBe(0);
  });

  it('rejects a challenger trained on label noise: the champion does better on the same holdout', async () => {
    const before = events().length;
    await publish([...examples(tag, 'noise', 450, sent, t0, random), ...examples(tag, 'user-signal', PHASE - 450, sent + 450, t0, random)]);
    const run = (await nextRun(before + 3)).slice(before);
    const v1 = (await champion()).version;
    expect(run.map((e) => e.stage)).toEqual(['trained', 'evaluated', 'rejected']);
    const [, evaluated, rejected] = run;
    expect(rejected.championVersion).toBe(v1);
    expect(rejected.reason).toContain(`champion ${v1}`);
    expect(evaluated.metrics['champion.logLoss']).toBeLessThan(evaluated.metrics.logLoss);
    expect(evaluated.metrics['champion.examples']).toBe(evaluated.metrics.examples);
    expect(await champion()).toMatchObject({ version: v1 });

    // The champion scored what arrived (the drift trigger's input), though that trigger is off here...
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const online = metrics.split('\n').find((line) => line.startsWith('training_champion_online_log_loss{model="ranker"'))?.split(' ')[1];
    expect(Number(online)).toBeGreaterThan(evaluated.metrics['champion.logLoss']);
    // ...and the completed run restarted that window: the same loss must not trigger again after a rejection.
    await waitFor(
      async () => {
        const status = (await (await fetch(`${service.url}/v1/training/status`, { headers: { 'X-Api-Key': ADMIN_SECRET } })).json()) as { online: unknown };
        return status.online === null ? true : undefined;
      },
      { timeoutMs: 10_000, description: 'online loss reset after the run' },
    );
  });

  it('promotes a challenger that learnt a changed concept the champion cannot score, then rolls back by hand', async () => {
    const before = events().length;
    const v1 = (await champion()).version;
    await publish(examples(tag, 'item-signal', PHASE, sent, t0, random));
    const run = (await nextRun(before + 3)).slice(before);
    expect(run.map((e) => e.stage)).toEqual(['trained', 'evaluated', 'promoted']);
    const [trained, evaluated, promoted] = run;
    const v3 = trained.version;
    expect(trained.championVersion).toBe(v1);
    expect(promoted.championVersion).toBe(v3);
    expect(evaluated.metrics.logLoss).toBeLessThan(evaluated.metrics['champion.logLoss'] - 0.02);
    expect(evaluated.metrics.auc).toBeGreaterThan(0.75);
    expect(JSON.parse(await readFile(join(artifactDir(), 'ranker', 'versions', v3, 'metadata.json'), 'utf8')).parentVersion).toBe(v1);
    expect(await champion()).toMatchObject({ version: v3, previous: [v1] });

    const unauthenticated = await fetch(`${service.url}/v1/models/ranker/rollback`, { method: 'POST' });
    expect(unauthenticated.status).toBe(401);

    const answer = await fetch(`${service.url}/v1/models/ranker/rollback`, {
      method: 'POST',
      headers: { 'X-Api-Key': ADMIN_SECRET, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'integration test rollback' }),
    });
    expect(answer.status).toBe(200);
    const [rolledBack] = (await nextRun(before + 4)).slice(before + 3);
    expect(rolledBack).toMatchObject({ stage: 'rolled_back', version: v3, championVersion: v1, reason: 'integration test rollback' });
    expect(((await answer.json()) as { event: ModelLifecycleEvent }).event).toEqual(rolledBack);
    expect(await champion()).toMatchObject({ version: v1, previous: [] });

    const versions = (await (await fetch(`${service.url}/v1/models/ranker/versions`, { headers: { 'X-Api-Key': ADMIN_SECRET } })).json()) as {
      champion: { version: string };
      versions: { version: string; champion: boolean; details: { training: { epochs: number; bestEpoch: number; validationLoss: number; curve: { epoch: number; validationLoss: number }[] } } }[];
    };
    expect(versions.champion.version).toBe(v1);
    expect(versions.versions).toHaveLength(3);
    expect(versions.versions.filter((v) => v.champion).map((v) => v.version)).toEqual([v1]);
    // Each version carries its loss curve (the dashboard plots it): one point per epoch trained, the best one among them.
    for (const { details } of versions.versions) {
      expect(details.training.curve.map((point) => point.epoch)).toEqual(Array.from({ length: details.training.epochs }, (_, i) => i + 1));
      expect(details.training.curve[details.training.bestEpoch - 1].validationLoss).toBe(details.training.validationLoss);
    }

    const docs = (await (await fetch(`${service.url}/docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/v1/models/{name}/promote', '/v1/models/{name}/rollback']));

    // Nothing earlier to roll back to now.
    const again = await fetch(`${service.url}/v1/models/ranker/rollback`, { method: 'POST', headers: { 'X-Api-Key': ADMIN_SECRET } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('TRAINING.NO_PREVIOUS_CHAMPION');

    // Progress went to the metrics as it ran.
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const sample = (name: string, labels: string) => metrics.split('\n').find((line) => line.startsWith(`${name}{${labels},service="training"}`))?.split(' ')[1];
    expect(Number(sample('training_epochs_total', 'model="ranker"'))).toBeGreaterThan(0);
    expect(sample('training_runs_total', 'model="ranker",reason="new-examples",outcome="promoted"')).toBe('2');
    expect(sample('training_runs_total', 'model="ranker",reason="new-examples",outcome="rejected"')).toBe('1');
    expect(sample('training_champion_info', `model="ranker",version="${v1}"`)).toBe('1');
    expect(metrics).toMatch(/training_backend_info\{backend="(wasm|cpu|tensorflow)"/);
  });

  it('keeps its window and champion across a restart', async () => {
    const v1 = (await champion()).version;
    await service.stop();
    await service.start();
    const status = await waitFor(
      async () => {
        const answer = await fetch(`${service.url}/v1/training/status`, { headers: { 'X-Api-Key': ADMIN_SECRET } });
        return answer.ok ? ((await answer.json()) as { windowExamples: number; newExamples: number; champion: { version: string } }) : undefined;
      },
      { timeoutMs: 30_000, description: 'training status after restart' },
    );
    expect(status.windowExamples).toBe(2 * PHASE);
    expect(status.newExamples).toBe(0);
    expect(status.champion.version).toBe(v1);
  });

  it("retrains on drift: the champion's log loss on new examples degrades beyond the tolerance", async () => {
    const v1 = (await champion()).version;
    await service.stop();
    const driftOnly = { ...serviceEnv, TRAINING_TRIGGER_NEW_EXAMPLES: '0', TRAINING_TRIGGER_DRIFT: 'true', TRAINING_DRIFT_MIN_EXAMPLES: '200', TRAINING_DRIFT_TOLERANCE: '0.25' };
    service = new RestartableService('training', driftOnly, service.port);
    await service.start();
    const before = events().length;
    // The champion (user signal) meets the item-signal concept again: its online log loss far exceeds its holdout log loss.
    await publish(examples(tag, 'item-signal', 300, sent, t0, random));
    const run = (await nextRun(before + 3)).slice(before);
    expect(run.map((e) => e.stage)).toEqual(['trained', 'evaluated', 'promoted']);
    expect(run[0].championVersion).toBe(v1);
    const metadata = JSON.parse(await readFile(join(artifactDir(), 'ranker', 'versions', run[0].version, 'metadata.json'), 'utf8'));
    expect(metadata.details.trigger).toBe('drift');
    expect(metadata.parentVersion).toBe(v1);
  });
});
