import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EventType, deadLetterRecordSchema, eventJsonSchema, exampleEvent } from '@storeloop/contracts';
import { createTopics, waitFor, type RunningService, type TopicReader } from '@storeloop/testing';
import {
  IngestionWorld,
  LOGICAL,
  SECRETS,
  apiKeyRecord,
  deadLettersWith,
  headerOf,
  metricSamples,
  postEvents,
  sumWhere,
  testRedis,
  valueOf,
  waitForIds,
  withIds,
} from './harness';

const MAX_BYTES = 16 * 1024;
const MAX_EVENTS = 25;
const THROTTLED_SECRET = `it-throttled-${randomBytes(4).toString('hex')}`;

describe('POST /v1/events (built service, real Kafka and Redis)', () => {
  const world = new IngestionWorld();
  const keysFile = join(tmpdir(), `ingestion-keys-${world.suffix}.json`);
  let service: RunningService;
  let events: TopicReader;
  let feedback: TopicReader;
  let privacy: TopicReader;
  let dlq: TopicReader;
  let serial = 0;
  /** An id no other test (or run) uses. */
  const id = (tag: string) => `${tag}-${world.suffix}-${++serial}`;

  beforeAll(async () => {
    // One key with a tiny budget (1 request, then one per 5 s): the 429 path without slowing the other tests.
    writeFileSync(keysFile, JSON.stringify([apiKeyRecord('throttled', THROTTLED_SECRET, 0.2, 1)]));
    service = await world.start({
      INGEST_MAX_BYTES: String(MAX_BYTES),
      INGEST_MAX_EVENTS: String(MAX_EVENTS),
      API_KEYS_FILE: keysFile,
    });
    [events, feedback, privacy, dlq] = await Promise.all(
      [LOGICAL.events, LOGICAL.feedback, LOGICAL.privacy, LOGICAL.dlq].map((topic) => world.reader(topic)),
    );
  });

  afterAll(async () => {
    await world.dispose();
    rmSync(keysFile, { force: true });
  });

  it('accepts the valid events of a partly bad batch, answers each rejection, and writes them normalised and keyed', async () => {
    const user = `user-${world.suffix}-a`;
    const ids = { erasure: id('erase'), stock: id('stock'), order: id('order'), click: id('click'), view: id('view') };
    const traceId = randomBytes(16).toString('hex');
    const marker = (n: number) => `bad-${world.suffix}-${n}`;
    const batch: unknown[] = [
      exampleEvent(EventType.UserErasureRequested, { id: ids.erasure, data: { userId: user } }),
      exampleEvent(EventType.CartItemAdded, { id: marker(1), data: { userId: user, quantity: -1 } }),
      exampleEvent(EventType.InventorySnapshotTaken, { id: ids.stock, data: { sku: ' SKU-77 ', store: 'store-0007' } }),
      { ...exampleEvent(EventType.ProductViewed, { id: marker(3) }), type: 'com.storeloop.nope.v1' },
      exampleEvent(EventType.OrderPlaced, {
        id: ids.order,
        data: { userId: user, items: [{ sku: 'SKU-1', quantity: 2, unitPrice: { amount: 19.9 as unknown as string, currency: 'EUR' } }] },
      }),
      { ...exampleEvent(EventType.ProductViewed, { id: marker(5) }), type: 'com.storeloop.product.viewed.v9' },
      `not-an-event ${marker(6)}`,
      exampleEvent(EventType.RecommendationClicked, { id: ids.click, data: { userId: user } }),
      (() => {
        const event: Record<string, unknown> = exampleEvent(EventType.ProductViewed, { id: marker(8), data: { userId: user } });
        delete event.time;
        return event;
      })(),
      exampleEvent(EventType.ProductViewed, {
        id: `  ${ids.view}  `,
        time: '2024-05-01T12:15:30.250+02:00',
        data: { userId: `  ${user}  `, sku: ' SKU-123 ' },
      }),
    ];

    const answer = await postEvents(service, batch, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });

    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 5, duplicates: 0 });
    const rejected = answer.body.rejected as Record<string, unknown>[];
    expect(rejected.map(({ index, code, path }) => ({ index, code, path }))).toEqual([
      { index: 1, code: 'INGEST.SCHEMA_INVALID', path: 'data.quantity' },
      { index: 3, code: 'INGEST.UNKNOWN_EVENT_TYPE', path: 'type' },
      { index: 5, code: 'INGEST.UNSUPPORTED_VERSION', path: 'type' },
      { index: 6, code: 'INGEST.NOT_AN_OBJECT', path: '' },
      { index: 8, code: 'INGEST.SCHEMA_INVALID', path: 'time' },
    ]);
    for (const r of rejected) expect(r.message).toEqual(expect.any(String));
    expect(rejected[1].message).toContain('com.storeloop.nope.v1');
    expect(rejected[2].message).toMatch(/v9 is not supported.*supported: v1/);

    const [view, order, stock] = [
      ...(await waitForIds(events, [ids.view])),
      ...(await waitForIds(events, [ids.order])),
      ...(await waitForIds(events, [ids.stock])),
    ];
    // Keyed by user, stock by sku:store; ids trimmed, time in UTC, money a decimal string.
    expect(view.key?.toString()).toBe(user);
    expect(valueOf(view)).toEqual({
      specversion: '1.0',
      id: ids.view,
      source: '/web-shop',
      type: EventType.ProductViewed,
      time: '2024-05-01T10:15:30.250Z',
      tenant: 'default',
      datacontenttype: 'application/json',
      data: { userId: user, sessionId: 'sess-42', channel: 'web', sku: 'SKU-123' },
    });
    expect(stock.key?.toString()).toBe('SKU-77:store-0007');
    expect(valueOf(stock)).toMatchObject({ data: { sku: 'SKU-77', store: 'store-0007' } });
    expect(order.key?.toString()).toBe(user);
    expect(valueOf(order)).toMatchObject({ data: { items: [{ sku: 'SKU-1', quantity: 2, unitPrice: { amount: '19.9', currency: 'EUR' } }] } });
    for (const [record, eventId] of [[view, ids.view], [order, ids.order]] as const) {
      expect(headerOf(record, 'content-type')).toBe('application/cloudevents+json; charset=UTF-8');
      expect(headerOf(record, 'traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(headerOf(record, 'causationid')).toBe(eventId);
    }

    const [click] = await waitForIds(feedback, [ids.click]);
    expect(click.key?.toString()).toBe(user);
    const [erasure] = await waitForIds(privacy, [ids.erasure]);
    expect(erasure.key?.toString()).toBe(user);
    expect(valueOf(erasure)).toMatchObject({ type: EventType.UserErasureRequested, data: { userId: user } });
    // The erasure came before the view on the same user key: had it gone to events.v1 too, it would be read by now.
    expect(withIds(events, [ids.erasure, ids.click])).toEqual([]);

    // Every rejected item is dead-lettered with its code, reason and bytes.
    await waitFor(() => [1, 3, 5, 6, 8].every((n) => deadLettersWith(dlq, marker(n)).length === 1), {
      description: 'the 5 rejected items in the DLQ',
    });
    for (const r of rejected) {
      const n = r.index as number;
      const [letter] = deadLettersWith(dlq, marker(n));
      expect(letter).toMatchObject({ code: r.code, reason: r.message, retriable: false });
      expect(JSON.parse(Buffer.from(letter.value as string, 'base64').toString('utf8'))).toEqual(batch[n]);
      // The DLQ topic's own contract holds for records that came over HTTP too.
      expect(deadLetterRecordSchema.safeParse(letter).error?.issues ?? []).toEqual([]);
    }
  });

  it('takes NDJSON, rejecting a bad line and accepting the others, and dead-letters the line as sent', async () => {
    const user = `user-${world.suffix}-nd`;
    const [first, second] = [id('nd'), id('nd')];
    const badLine = `{"id": "bad-line-${world.suffix}", "type": oops}`;
    const body = [
      JSON.stringify(exampleEvent(EventType.ProductViewed, { id: first, data: { userId: user } })),
      '',
      badLine,
      JSON.stringify(exampleEvent(EventType.ProductFavorited, { id: second, data: { userId: user } })),
      '',
    ].join('\n');

    const answer = await postEvents(service, body, { contentType: 'application/x-ndjson' });

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [{ index: 1, code: 'INGEST.MALFORMED_RECORD', path: '', message: expect.stringContaining('line 3: not valid JSON') }],
    });
    const written = await waitForIds(events, [first, second]);
    expect(written.map((m) => valueOf(m).id)).toEqual([first, second]);
    const [letter] = await waitFor(() => {
      const found = deadLettersWith(dlq, `bad-line-${world.suffix}`);
      return found.length > 0 ? found : undefined;
    }, { description: 'the bad NDJSON line in the DLQ' });
    expect(letter.code).toBe('INGEST.MALFORMED_RECORD');
    expect(Buffer.from(letter.value as string, 'base64').toString('utf8')).toBe(badLine);
  });

  it('counts duplicates inside a batch and across batches and writes each event once', async () => {
    const user = `user-${world.suffix}-dup`;
    const [a, b, c, d] = [id('dup'), id('dup'), id('dup'), id('dup')];
    const viewed = (eventId: string, sku = 'SKU-123') => exampleEvent(EventType.ProductViewed, { id: eventId, data: { userId: user, sku } });

    const firstBatch = await postEvents(service, [viewed(a), viewed(b), viewed(a, 'SKU-OTHER'), viewed(` ${b} `), viewed(c)]);
    expect(firstBatch.status).toBe(202);
    expect(firstBatch.body).toEqual({ accepted: 3, duplicates: 2, rejected: [] });
    await waitForIds(events, [a, b, c]);

    // The first batch is written, so its ids are marked: the second one learns at once that two are duplicates.
    const secondBatch = await postEvents(service, [viewed(a), viewed(d), viewed(c)]);
    expect(secondBatch.status).toBe(202);
    expect(secondBatch.body).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    await waitForIds(events, [d]);

    // d went after a, b and c on the same user key, so any second copy of them would be read by now.
    const written = withIds(events, [a, b, c, d]);
    expect(written.map((m) => valueOf(m).id)).toEqual([a, b, c, d]);
    expect(valueOf<{ data: { sku: string } }>(written[0]).data.sku).toBe('SKU-123');

    // The marks are in Redis under the service's key prefix, for the 24 h window.
    const redis = testRedis();
    try {
      const keys = await redis.keys(`${world.redisKeyPrefix}dedup:*`);
      expect(keys.length).toBeGreaterThanOrEqual(4);
      const ttl = await redis.pttl(keys[0]);
      expect(ttl).toBeGreaterThan(23 * 60 * 60 * 1000);
      expect(ttl).toBeLessThanOrEqual(24 * 60 * 60 * 1000);
    } finally {
      redis.disconnect();
    }
  });

  describe('answers every refusal with its status and a JSON code', () => {
    const oneEvent = () => [exampleEvent(EventType.ProductViewed, { id: id('refused') })];

    it('400 for a malformed body, with the parse position', async () => {
      const answer = await postEvents(service, '[{"a":1},]');
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.body).toMatchObject({ code: 'INGEST.BODY_MALFORMED', position: 9, message: expect.any(String) });

      const truncated = await postEvents(service, '[{"id":"x", "type":');
      expect(truncated.body).toMatchObject({ code: 'INGEST.BODY_MALFORMED', position: 19 });
    });

    it('400 for a body that is not an array, and for an empty batch', async () => {
      expect(await postEvents(service, JSON.stringify(oneEvent()[0]))).toMatchObject({ status: 400, body: { code: 'INGEST.BODY_NOT_ARRAY' } });
      expect(await postEvents(service, '[]')).toMatchObject({ status: 400, body: { code: 'INGEST.BODY_EMPTY' } });
      expect(await postEvents(service, '\n \n', { contentType: 'application/x-ndjson' })).toMatchObject({
        status: 400,
        body: { code: 'INGEST.BODY_EMPTY' },
      });
    });

    it('413 for more bytes than INGEST_MAX_BYTES, declared or streamed', async () => {
      const big = JSON.stringify([{ ...oneEvent()[0], padding: 'x'.repeat(MAX_BYTES) }]);
      expect(await postEvents(service, big)).toMatchObject({
        status: 413,
        body: { code: 'INGEST.BODY_TOO_LARGE', limitBytes: MAX_BYTES },
      });

      // Chunked, without Content-Length: refused once the bytes read pass the limit.
      const response = await fetch(`${service.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': SECRETS.writer },
        body: Readable.toWeb(Readable.from([Buffer.from(big.slice(0, 8000)), Buffer.from(big.slice(8000))])) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'INGEST.BODY_TOO_LARGE' });
    });

    it('413 for more events than INGEST_MAX_EVENTS', async () => {
      const answer = await postEvents(service, Array.from({ length: MAX_EVENTS + 1 }, () => ({})));
      expect(answer).toMatchObject({ status: 413, body: { code: 'INGEST.TOO_MANY_EVENTS', limitEvents: MAX_EVENTS } });
    });

    it('415 for a content type it does not read', async () => {
      const answer = await postEvents(service, JSON.stringify(oneEvent()), { contentType: 'text/plain' });
      expect(answer).toMatchObject({ status: 415, body: { code: 'INGEST.UNSUPPORTED_MEDIA_TYPE', received: 'text/plain' } });
    });

    it('401 without a key and with an unknown one; a known key works as a bearer token too', async () => {
      expect(await postEvents(service, oneEvent(), { apiKey: null })).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_MISSING' } });
      expect(await postEvents(service, oneEvent(), { apiKey: 'not-a-key' })).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_UNKNOWN' } });
      expect(await postEvents(service, oneEvent(), { bearer: 'not-a-key' })).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_UNKNOWN' } });
      expect(await postEvents(service, oneEvent(), { bearer: SECRETS.writer })).toMatchObject({ status: 202, body: { accepted: 1 } });
    });

    it('403 for a key without the ingest scope', async () => {
      const answer = await postEvents(service, oneEvent(), { apiKey: SECRETS.inferOnly });
      expect(answer).toMatchObject({ status: 403, body: { code: 'AUTH.SCOPE_MISSING' } });
    });

    it('429 with Retry-After over the key rate limit', async () => {
      expect((await postEvents(service, oneEvent(), { apiKey: THROTTLED_SECRET })).status).toBe(202);
      const answer = await postEvents(service, oneEvent(), { apiKey: THROTTLED_SECRET });
      expect(answer).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(5);
      // The writer key has its own budget.
      expect((await postEvents(service, oneEvent())).status).toBe(202);
    });
  });

  it('serves the OpenAPI 3.1 document, generated from the contracts, and its UI at /docs', async () => {
    const page = await fetch(`${service.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // The page loads Swagger UI and its start script as files (no inline script under the docs CSP); the script names the document.
    expect(await page.text()).toContain('/docs/assets/swagger-init.js');
    const init = await fetch(`${service.url}/docs/assets/swagger-init.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('/docs/openapi.json');

    const document = (await (await fetch(`${service.url}/docs/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { maxItems?: number } }> }; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    const post = document.paths['/v1/events'].post;
    expect(Object.keys(post.responses).sort()).toEqual(['202', '400', '401', '403', '413', '415', '429', '503']);
    expect(post.requestBody.content['application/json'].schema.maxItems).toBe(MAX_EVENTS);
    expect(document.components.schemas[encodeURIComponent(EventType.ProductViewed)]).toEqual(
      JSON.parse(JSON.stringify(eventJsonSchema(EventType.ProductViewed, { io: 'input' }))),
    );
  });

  it('counts events by outcome, type, source and code in ingest_events_total', async () => {
    const user = `user-${world.suffix}-m`;
    const [a, b] = [id('metric'), id('metric')];
    // A type no other test here sends, so events still in flight from earlier tests do not move these counters.
    const type = EventType.CartItemRemoved;
    const before = await metricSamples(service, 'ingest_events_total');
    const removed = (eventId: string) => exampleEvent(type, { id: eventId, data: { userId: user } });
    const bad = exampleEvent(type, { id: id('metric-bad'), data: { userId: user, quantity: 0 } });

    const answer = await postEvents(service, [removed(a), bad, removed(b), removed(a)]);
    expect(answer.body).toMatchObject({ accepted: 2, duplicates: 1 });
    await waitForIds(events, [a, b]);

    const delta = async (where: Record<string, string>) => {
      const after = await metricSamples(service, 'ingest_events_total');
      return sumWhere(after, where) - sumWhere(before, where);
    };
    await waitFor(async () => (await delta({ outcome: 'accepted', source: 'kafka', type })) === 2, {
      description: 'the consumer to count its 2 writes',
    });
    expect(await delta({ outcome: 'accepted', source: 'http', type })).toBe(2);
    expect(await delta({ outcome: 'duplicate', source: 'http', type })).toBe(1);
    expect(await delta({ outcome: 'rejected', source: 'http', type, code: 'INGEST.SCHEMA_INVALID' })).toBe(1);
    const after = await metricSamples(service, 'ingest_events_total');
    expect(after.every((s) => s.labels.service === 'ingestion')).toBe(true);
    expect(sumWhere(await metricSamples(service, 'ingest_request_duration_seconds_count'), { status: '202' })).toBeGreaterThan(0);
    expect(sumWhere(await metricSamples(service, 'ingest_produce_duration_seconds_count'), { source: 'http' })).toBeGreaterThan(0);
    expect(await metricSamples(service, 'ingest_requests_in_flight')).toEqual([expect.objectContaining({ value: 0 })]);
  });
});

describe('POST /v1/events when Kafka cannot take the batch', () => {
  const world = new IngestionWorld();
  let service: RunningService;

  beforeAll(async () => {
    // Only the HTTP side: the raw topic is deleted under the running service, so keep its consumer out of the way.
    service = await world.start({ INGEST_CONSUME_RAW: 'false', INGEST_PRODUCE_TIMEOUT_MS: '1000', INGEST_RETRY_AFTER_SECONDS: '7' });
  });

  afterAll(async () => {
    await world.dispose();
  });

  it('answers 503 with Retry-After within the produce timeout, and 202 again once the topic is back', async () => {
    const admin = await world.connectAdmin();
    const raw = world.physical(LOGICAL.raw);
    const event = () => [exampleEvent(EventType.ProductViewed, { id: `kafka-down-${world.suffix}` })];
    expect((await postEvents(service, event())).status).toBe(202);

    await admin.deleteTopics({ topics: [raw] });
    await waitFor(async () => !(await admin.listTopics()).includes(raw), { description: `${raw} to be deleted` });

    const answer = await postEvents(service, event());
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.body).toMatchObject({ code: 'INGEST.KAFKA_UNAVAILABLE', retryAfterSeconds: 7 });
    // Bounded by INGEST_PRODUCE_TIMEOUT_MS, not by kafkajs' retries.
    expect(answer.elapsedMs).toBeLessThan(5000);

    await waitFor(
      async () => {
        await createTopics(admin, [raw], 6);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: `${raw} to be created again` },
    );
    const recovered = await waitFor(
      async () => {
        const retry = await postEvents(service, event());
        return retry.status === 202 ? retry : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, description: 'a retried batch to be accepted once the raw topic is back' },
    );
    expect(recovered.body).toMatchObject({ rejected: [] });
    expect(service.child.exitCode).toBeNull();
  });
});
