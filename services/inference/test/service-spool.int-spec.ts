import { TOPICS } from '@storeloop/contracts';
import { waitFor, type RestartableService, type TopicReader } from '@storeloop/testing';
import { LocalKafkaOutage } from './support/kafka-outage';
import { SECRETS, ServingWorld, call } from './support/serving-fixture';

interface Answer {
  recommendationId: string;
  modelVersion: string;
  items: { sku: string; position: number }[];
}

/**
 * The service while Kafka is down: it keeps answering, impressions and
 * feedback go to the local spool, and when the broker is back every one of
 * them reaches retail.feedback.v1. Stops and restarts the shared local broker
 * (integration suites run one at a time).
 */
describe('inference: answers and impressions through a Kafka outage (built service, real Kafka and Redis)', () => {
  const world = new ServingWorld();
  const outage = new LocalKafkaOutage(world.kafka);
  const version = `v1-${world.suffix}`;
  let service: RestartableService;
  let feedback: TopicReader;

  beforeAll(async () => {
    await outage.assertControllable();
    await world.setup();
    await world.storeVersion(await world.build(version, 1));
    await world.pointChampion(version);
    // Short sends, so requests made during the outage reach the spool quickly; a fast probe for the drain.
    service = await world.startInference({ INFERENCE_KAFKA_SEND_TIMEOUT_MS: '2000', INFERENCE_SPOOL_RETRY_BACKOFF_MS: '250' });
    feedback = await world.reader(TOPICS.feedback.name);
  }, 240_000);

  afterAll(async () => {
    await outage.restoreIfDown();
    await world.dispose();
  }, 240_000);

  it('serves every request while Kafka is down and delivers every impression and click once it is back', async () => {
    const users = world.shop.shoppers.map((s) => s.userId);
    const ask = async (i: number) => {
      const answer = await call<Answer>(service.url, 'GET', `/v1/users/${users[i % users.length]}/recommendations?k=5&context=home`, { secret: SECRETS.infer });
      expect(answer.status).toBe(200);
      return answer.body;
    };
    await waitFor(async () => (await ask(0)).modelVersion === version, { timeoutMs: 60_000, description: `the service serving ${version}` });

    const before: Answer[] = [];
    for (let i = 0; i < 20; i += 1) before.push(await ask(i));

    await outage.stop();
    const during: Answer[] = [];
    for (let i = 0; i < 200; i += 1) during.push(await ask(i));
    const served = during[0];
    const click = await call<{ via: string; ids: string[] }>(service.url, 'POST', '/v1/feedback', {
      secret: SECRETS.infer,
      body: { type: 'click', userId: users[0], recommendationId: served.recommendationId, sku: served.items[0].sku, position: 1 },
    });
    expect(click.status).toBe(202);
    expect(click.body.via).toBe('spooled');
    // Kafka does not gate this service's readiness: it stays in the load balancer and keeps answering.
    const ready = await fetch(`${service.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { details: { kafka: { reachable?: boolean } } }).details.kafka.reachable).toBe(false);
    const spooled = await call<{ impressions: { spooled: number; spool: { records: number } } }>(service.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin });
    expect(spooled.body.impressions.spooled).toBeGreaterThan(0);

    await outage.start();
    const expected = new Set([...before, ...during].map((answer) => answer.recommendationId).concat(click.body.ids));
    const arrived = () => new Set(feedback.messages.map(({ message }) => (JSON.parse(String(message.value)) as { id: string }).id));
    await waitFor(() => [...expected].every((id) => arrived().has(id)), {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: `all ${expected.size} impressions and the click on retail.feedback.v1`,
    });
    const stats = await call<{ impressions: { dropped: number; spool: { records: number } } }>(service.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin });
    expect(stats.body.impressions.dropped).toBe(0);
    await waitFor(async () => (await call<{ impressions: { spool: { records: number } } }>(service.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin })).body.impressions.spool.records === 0, {
      timeoutMs: 60_000,
      description: 'the spool to empty',
    });
    console.info(`kafka outage: ${during.length} requests answered while down, ${expected.size} events expected, ${feedback.messages.length} records read (duplicates allowed)`);
  }, 300_000);
});
