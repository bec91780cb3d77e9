import { randomBytes } from 'node:crypto';
import { Partitioners, type Message, type Producer } from 'kafkajs';
import { EventType, deadLetterRecordSchema, exampleData, exampleEvent } from '@storeloop/contracts';
import { waitFor, type RunningService, type TopicReader } from '@storeloop/testing';
import {
  IngestionWorld,
  LOGICAL,
  headerOf,
  metricSamples,
  postEvents,
  sumWhere,
  valueOf,
  waitForIds,
  withIds,
} from './harness';

function rawProducer(world: IngestionWorld): Producer {
  // murmur2, as the service and the Java client: a key lands on the partition the service would choose.
  return world.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
}

/** A binary-mode record (CloudEvents Kafka binding): attributes in ce_* headers, the data alone as the value. */
function binaryRecord(key: string, attributes: Record<string, string>, data: unknown, extraHeaders: Record<string, string> = {}): Message {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  for (const [name, value] of Object.entries(attributes)) headers[`ce_${name}`] = value;
  return { key, value: JSON.stringify(data), headers };
}

const kafkaCount = (samples: Awaited<ReturnType<typeof metricSamples>>, outcome: string) => sumWhere(samples, { outcome, source: 'kafka' });

describe('the raw topic (built service, real Kafka and Redis)', () => {
  const world = new IngestionWorld();
  let service: RunningService;
  let producer: Producer;
  let events: TopicReader;
  let dlq: TopicReader;
  let serial = 0;
  const id = (tag: string) => `${tag}-${world.suffix}-${++serial}`;

  beforeAll(async () => {
    service = await world.start();
    producer = rawProducer(world);
    await producer.connect();
    [events, dlq] = await Promise.all([world.reader(LOGICAL.events), world.reader(LOGICAL.dlq)]);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await world.dispose();
  });

  it('takes structured and binary mode records and writes them normalised and keyed by user', async () => {
    const user = `user-${world.suffix}-modes`;
    const [structuredId, binaryId] = [id('structured'), id('binary')];
    const traceId = randomBytes(16).toString('hex');
    const structured = exampleEvent(EventType.CartItemAdded, {
      id: ` ${structuredId} `,
      time: '2024-05-01T06:00:00-04:00',
      data: { userId: ` ${user} `, unitPrice: { amount: 5 as unknown as string, currency: 'USD' } },
    });
    await producer.send({
      topic: world.physical(LOGICAL.raw),
      messages: [
        { key: null, value: JSON.stringify(structured), headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
        binaryRecord(
          'any-producer-key',
          { id: ` ${binaryId} `, source: '/pos/store-17', type: EventType.ProductViewed, specversion: '1.0', time: '2024-05-01T12:15:30+02:00' },
          { ...exampleData(EventType.ProductViewed), userId: ` ${user} `, sku: ' SKU-B ' },
        ),
      ],
    });

    const [fromStructured] = await waitForIds(events, [structuredId]);
    expect(fromStructured.key?.toString()).toBe(user);
    expect(valueOf(fromStructured)).toMatchObject({
      id: structuredId,
      time: '2024-05-01T10:00:00.000Z',
      data: { userId: user, unitPrice: { amount: '5', currency: 'USD' } },
    });
    expect(headerOf(fromStructured, 'traceparent')).toMatch(new RegExp(`^00-${traceId}-`));

    const [fromBinary] = await waitForIds(events, [binaryId]);
    expect(fromBinary.key?.toString()).toBe(user);
    expect(valueOf(fromBinary)).toEqual({
      specversion: '1.0',
      id: binaryId,
      source: '/pos/store-17',
      type: EventType.ProductViewed,
      time: '2024-05-01T10:15:30.000Z',
      datacontenttype: 'application/json',
      tenant: 'default',
      data: { userId: user, sessionId: 'sess-42', channel: 'web', sku: 'SKU-B' },
    });
    expect(headerOf(fromBinary, 'content-type')).toBe('application/cloudevents+json; charset=UTF-8');
  });

  it('dead-letters invalid records with code, reason, key, bytes and headers, and keeps the partition moving in order', async () => {
    const user = `user-${world.suffix}-order`;
    const goodIds = Array.from({ length: 6 }, () => id('in-order'));
    const good = (n: number): Message => ({
      key: `good-${n}`,
      value: JSON.stringify(exampleEvent(EventType.ProductViewed, { id: goodIds[n], data: { userId: user } })),
    });
    const tag = `${world.suffix}-dlq`;
    const bad: { message: Message; code: string; reason: RegExp }[] = [
      { message: { key: `${tag}-json`, value: '{"id": "half an event', headers: { 'x-origin': 'pos-17' } }, code: 'INGEST.MALFORMED_RECORD', reason: /not JSON/ },
      {
        message: { key: `${tag}-utf8`, value: Buffer.from([0x7b, 0x22, 0x69, 0xff, 0xfe, 0x22, 0x7d]), headers: { 'x-origin': 'pos-17' } },
        code: 'INGEST.MALFORMED_RECORD',
        reason: /UTF-8/,
      },
      {
        message: { key: `${tag}-type`, value: JSON.stringify({ ...exampleEvent(EventType.ProductViewed, { id: id('nope') }), type: 'com.storeloop.nope.v1' }) },
        code: 'INGEST.UNKNOWN_EVENT_TYPE',
        reason: /com\.storeloop\.nope\.v1/,
      },
      {
        message: { key: `${tag}-version`, value: JSON.stringify({ ...exampleEvent(EventType.ProductViewed, { id: id('v9') }), type: 'com.storeloop.product.viewed.v9' }) },
        code: 'INGEST.UNSUPPORTED_VERSION',
        reason: /v9 is not supported/,
      },
      {
        // Binary mode, data invalid: the ce_* headers must survive into the dead letter.
        message: binaryRecord(
          `${tag}-schema`,
          { id: id('schema'), source: '/web-shop', type: EventType.CartItemAdded, specversion: '1.0', time: '2024-05-01T10:00:00Z' },
          { ...exampleData(EventType.CartItemAdded), userId: user, quantity: 0 },
          { 'x-origin': 'web' },
        ),
        code: 'INGEST.SCHEMA_INVALID',
        reason: /data\.quantity/,
      },
    ];
    // good, bad, good, bad, ... good — all on partition 0, so "after" means a higher offset.
    const messages: Message[] = [good(0)];
    bad.forEach((b, i) => messages.push(b.message, good(i + 1)));
    const [sent] = await producer.send({ topic: world.physical(LOGICAL.raw), messages: messages.map((m) => ({ ...m, partition: 0 })) });
    const baseOffset = BigInt(sent.baseOffset ?? sent.offset ?? '0');

    const written = await waitForIds(events, goodIds);
    expect(written.map((m) => valueOf(m).id)).toEqual(goodIds);

    await waitFor(() => dlq.messages.filter((m) => m.message.key?.toString().startsWith(tag)).length === bad.length, {
      description: `${bad.length} dead letters`,
    });
    const letters = dlq.messages.filter((m) => m.message.key?.toString().startsWith(tag)).map((m) => m.message);
    letters.sort((x, y) => Number(BigInt(valueOf<{ offset: string }>(x).offset) - BigInt(valueOf<{ offset: string }>(y).offset)));
    letters.forEach((letter, i) => {
      const expected = bad[i];
      const body = valueOf(letter);
      const sentValue = Buffer.isBuffer(expected.message.value) ? expected.message.value : Buffer.from(String(expected.message.value));
      expect(letter.key?.toString()).toBe(expected.message.key);
      expect(body).toMatchObject({
        code: expected.code,
        reason: expect.stringMatching(expected.reason),
        retriable: false,
        sourceTopic: LOGICAL.raw,
        partition: 0,
        offset: (baseOffset + BigInt(2 * i + 1)).toString(),
        key: Buffer.from(String(expected.message.key)).toString('base64'),
        value: sentValue.toString('base64'),
        consumerGroup: world.consumerGroup,
      });
      const sentHeaders = Object.fromEntries(
        Object.entries(expected.message.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value)).toString('base64')]),
      );
      expect(body.headers).toEqual(sentHeaders);
      expect(headerOf(letter, 'dlq-code')).toBe(expected.code);
      expect(deadLetterRecordSchema.safeParse(body).error?.issues ?? []).toEqual([]);
    });
  });

  it('writes an event once when the same id comes over HTTP and over the raw topic, in either order', async () => {
    const user = `user-${world.suffix}-both`;
    const [httpFirst, rawFirst, sentinel] = [id('http-first'), id('raw-first'), id('sentinel')];
    const viewed = (eventId: string) => exampleEvent(EventType.ProductViewed, { id: eventId, data: { userId: user } });
    const before = await metricSamples(service, 'ingest_events_total');

    expect((await postEvents(service, [viewed(httpFirst)])).body).toMatchObject({ accepted: 1, duplicates: 0 });
    await waitForIds(events, [httpFirst]);
    // The same id straight to the raw topic, structured and binary, keyed like the service keys it.
    const { data, ...attributes } = viewed(httpFirst);
    await producer.send({
      topic: world.physical(LOGICAL.raw),
      messages: [
        { key: user, value: JSON.stringify(viewed(httpFirst)) },
        binaryRecord(user, Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, String(v)])), data),
        { key: user, value: JSON.stringify(viewed(rawFirst)) },
      ],
    });
    await waitForIds(events, [rawFirst]);
    expect((await postEvents(service, [viewed(rawFirst), viewed(sentinel)])).body).toMatchObject({ accepted: 1, duplicates: 1 });
    await waitForIds(events, [sentinel]);

    // The sentinel came last on the same user key: any second copy would have been read before it.
    expect(withIds(events, [httpFirst, rawFirst, sentinel]).map((m) => valueOf(m).id)).toEqual([httpFirst, rawFirst, sentinel]);
    const after = await metricSamples(service, 'ingest_events_total');
    expect(kafkaCount(after, 'duplicate') - kafkaCount(before, 'duplicate')).toBe(2);
    expect(sumWhere(after, { outcome: 'duplicate', source: 'http' }) - sumWhere(before, { outcome: 'duplicate', source: 'http' })).toBe(1);
  });
});

describe('deduplication across a restart of the service', () => {
  const world = new IngestionWorld();
  let producer: Producer;

  beforeAll(async () => {
    producer = rawProducer(world);
  });

  afterAll(async () => {
    await producer.disconnect();
    await world.dispose();
  });

  it('remembers ids in Redis: after SIGTERM and a new start, resent events are counted as duplicates and not written again', async () => {
    const user = `user-${world.suffix}-restart`;
    const ids = { raw1: `r1-${world.suffix}`, raw2: `r2-${world.suffix}`, http: `h1-${world.suffix}`, sentinel: `s-${world.suffix}` };
    const viewed = (eventId: string) => exampleEvent(EventType.ProductViewed, { id: eventId, data: { userId: user } });
    const resend = async (service: RunningService) => {
      await producer.send({
        topic: world.physical(LOGICAL.raw),
        messages: [ids.raw1, ids.raw2].map((eventId) => ({ key: user, value: JSON.stringify(viewed(eventId)) })),
      });
      return postEvents(service, [viewed(ids.http)]);
    };

    const first = await world.start();
    await producer.connect();
    expect((await resend(first)).body).toMatchObject({ accepted: 1, duplicates: 0 });
    const events = await world.reader(LOGICAL.events);
    await waitForIds(events, [ids.raw1, ids.raw2, ids.http]);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await world.start();
    const answer = await resend(second);
    expect(answer.body).toMatchObject({ accepted: 0, duplicates: 1 });
    await producer.send({ topic: world.physical(LOGICAL.raw), messages: [{ key: user, value: JSON.stringify(viewed(ids.sentinel)) }] });
    await waitForIds(events, [ids.sentinel]);

    const all = [ids.raw1, ids.raw2, ids.http, ids.sentinel];
    expect(withIds(events, all).map((m) => valueOf(m).id).sort()).toEqual([...all].sort());
    const samples = await metricSamples(second, 'ingest_events_total');
    // The new process read only what came after the committed offsets: the two resent records and the sentinel.
    expect(kafkaCount(samples, 'duplicate')).toBe(2);
    expect(kafkaCount(samples, 'accepted')).toBe(1);
  });
});
