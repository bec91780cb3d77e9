import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { KafkaMessage, Message, Producer } from 'kafkajs';
import { parseEvent, partitionKeyOf } from '@storeloop/contracts';
import { waitFor, type RunningService, type TopicReader } from '@storeloop/testing';
import { IngestionWorld, LOGICAL, SECRETS, headerOf, valueOf } from './harness';
import { drainIngestion, eventIdOf, exactlyOnceReport, partitionOfKey } from './support/exactly-once';
import {
  POLLUTION_SENTINEL,
  hostileBody,
  mixedBatch,
  rawRun,
  toBinaryMode,
  validCustomerEvent,
  type RawRecordSpec,
} from './support/hostile-payloads';

interface Answer {
  status: number;
  text: string;
  json?: Record<string, unknown>;
  retryAfter: string | null;
}

interface Rejection {
  index: number;
  code: string;
  path: string;
  message: string;
}

const STABLE_CODE = /^INGEST\.[A-Z][A-Z_]*$/;
const SEED = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : Date.now() % 2 ** 31;

describe('hostile input, property-based (built service, real Kafka and Redis)', () => {
  const world = new IngestionWorld();
  let service: RunningService;
  let producer: Producer;
  let events: TopicReader;
  let dlq: TopicReader;
  let pid: number | undefined;
  const exits: string[] = [];
  /** Every valid event mixed into hostile input so far: each must be on retail.events.v1 exactly once. */
  const expectedIds: string[] = [];
  /** Raw records that must each be dead-lettered exactly once, as `partition/offset`. */
  const hostileRawCoordinates: string[] = [];
  const hostileCounts = { httpItems: 0, httpBodies: 0, rawRecords: 0 };
  let serial = 0;
  const nextId = (tag: string) => `${tag}-${world.suffix}-${++serial}`;

  async function post(body: string | Buffer, contentType: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${service.url}/v1/events`, {
      method: 'POST',
      headers: { ...(contentType ? { 'content-type': contentType } : {}), 'x-api-key': SECRETS.writer, ...headers },
      body,
    });
    const text = await response.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json, retryAfter: response.headers.get('retry-after') };
  }

  /** A well-behaved client: retries a 503 after its Retry-After, a few times, and returns the last answer. */
  async function postRetryingUnavailable(body: string, attempts = 4): Promise<Answer> {
    let answer = await post(body, 'application/json');
    for (let attempt = 1; attempt < attempts && answer.status === 503; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Number(answer.retryAfter ?? '1') * 1000));
      answer = await post(body, 'application/json');
    }
    return answer;
  }

  async function expectStillRunning(): Promise<void> {
    expect(exits).toEqual([]);
    expect(service.child.pid).toBe(pid);
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
  }

  function rawDeadLetters(): Map<string, KafkaMessage[]> {
    const byCoordinate = new Map<string, KafkaMessage[]>();
    for (const { message } of dlq.messages) {
      if (headerOf(message, 'dlq-source-topic') !== LOGICAL.raw) continue;
      const coordinate = `${headerOf(message, 'dlq-source-partition')}/${headerOf(message, 'dlq-source-offset')}`;
      byCoordinate.set(coordinate, [...(byCoordinate.get(coordinate) ?? []), message]);
    }
    return byCoordinate;
  }

  beforeAll(async () => {
    const secretHash = createHash('sha256').update(SECRETS.writer, 'utf8').digest('hex');
    service = await world.start({
      API_KEYS: `writer:ingest:${secretHash}:100000`,
      RATE_LIMIT_BURST: '100000',
      INGEST_RETRY_AFTER_SECONDS: '1',
    });
    pid = service.child.pid;
    service.child.once('exit', (code, signal) => exits.push(`pid ${pid} exited with ${code ?? signal}`));
    await waitFor(async () => (await fetch(`${service.url}/health/ready`)).ok, { timeoutMs: 60_000, description: 'ingestion to be ready' });
    producer = world.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    [events, dlq] = await Promise.all([world.reader(LOGICAL.events), world.reader(LOGICAL.dlq)]);
    // Printed so that a failing run can be replayed with HOSTILE_SEED.
    console.info(`hostile-input seed: ${SEED}`);
  }, 120_000);

  afterAll(async () => {
    await producer?.disconnect();
    await world.dispose();
  });

  it('answers every batch of hostile items mixed with valid events with a 202 rejecting exactly the hostile items, each with a code', async () => {
    await fc.assert(
      fc.asyncProperty(mixedBatch, async ({ items, ndjson, traceHeaders }) => {
        const ids: string[] = [];
        const wire = items.map((item) => {
          if (item.kind === 'valid') {
            const id = nextId('http');
            ids.push(id);
            return JSON.stringify(validCustomerEvent(id, item.typeIndex, item.userSeed));
          }
          if (item.kind === 'line') return ndjson ? item.text : JSON.stringify(item.text);
          return JSON.stringify(item.value);
        });
        const answer = ndjson
          ? await post(wire.join('\n'), 'application/x-ndjson', traceHeaders)
          : await post(`[${wire.join(',')}]`, 'application/json', traceHeaders);

        expect({ status: answer.status, body: answer.text.slice(0, 500) }).toEqual({ status: 202, body: expect.any(String) });
        const body = answer.json as { accepted: number; duplicates: number; rejected: Rejection[] };
        const hostileIndexes = items.flatMap((item, index) => (item.kind === 'valid' ? [] : [index]));
        expect(body.rejected.map((r) => r.index)).toEqual(hostileIndexes);
        for (const rejection of body.rejected) {
          expect(rejection).toEqual({ index: expect.any(Number), code: expect.stringMatching(STABLE_CODE), path: expect.any(String), message: expect.any(String) });
          expect(rejection.message.length).toBeGreaterThan(0);
        }
        expect({ accepted: body.accepted, duplicates: body.duplicates }).toEqual({ accepted: ids.length, duplicates: 0 });
        expectedIds.push(...ids);
        hostileCounts.httpItems += hostileIndexes.length;
        await expectStillRunning();
      }),
      { numRuns: 80, seed: SEED },
    );
  }, 300_000);

  it('answers every body that cannot be read as a batch (not UTF-8, not JSON, not an array, too big, wrong type) with a 4xx and a code', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, async ({ bytes, contentType }) => {
        const answer = await post(bytes, contentType);
        if (answer.status === 202) {
          // Random bytes can happen to spell a JSON array or NDJSON lines: then nothing in them may be accepted.
          expect(answer.json).toMatchObject({ accepted: 0, duplicates: 0 });
        } else {
          expect({ status: [400, 413, 415].includes(answer.status) ? 'a 4xx with a code' : answer.status, body: answer.json }).toEqual({
            status: 'a 4xx with a code',
            body: expect.objectContaining({ code: expect.stringMatching(STABLE_CODE), message: expect.any(String) }),
          });
        }
        hostileCounts.httpBodies += 1;
        await expectStillRunning();
      }),
      { numRuns: 150, seed: SEED + 1 },
    );
  }, 300_000);

  it('dead-letters every hostile raw-topic record (structured and binary mode, hostile ce_* headers) with a code, its key and its bytes', async () => {
    const rawTopic = world.physical(LOGICAL.raw);
    const admin = await world.connectAdmin();
    const partitions = (await admin.fetchTopicOffsets(rawTopic)).length;

    await fc.assert(
      fc.asyncProperty(rawRun, async (specs: RawRecordSpec[]) => {
        const validIds: string[] = [];
        const messages: Message[] = specs.map((spec) => {
          if (spec.kind === 'hostile') return { key: spec.key, value: spec.value, headers: spec.headers, partition: spec.partition % partitions };
          const id = nextId(spec.kind);
          validIds.push(id);
          const event = validCustomerEvent(id, spec.typeIndex, spec.userSeed);
          const parsed = parseEvent(event);
          if (!parsed.ok) throw new Error(`test bug: ${id} is not valid: ${JSON.stringify(parsed.issues)}`);
          const key = partitionKeyOf(parsed.event);
          const partition = partitionOfKey(key, partitions);
          if (spec.kind === 'valid-structured') return { key, value: JSON.stringify(event), headers: spec.headers, partition };
          const binary = toBinaryMode(event);
          return { key, value: binary.value, headers: { ...spec.headers, ...binary.headers }, partition };
        });
        const metadata = await producer.send({ topic: rawTopic, messages, acks: -1 });
        const nextOffset = new Map(metadata.map((m) => [m.partition, BigInt(m.baseOffset ?? '0')]));
        const sent = messages.map((message) => {
          const offset = nextOffset.get(message.partition ?? -1) ?? 0n;
          nextOffset.set(message.partition ?? -1, offset + 1n);
          return { message, coordinate: `${message.partition}/${offset}` };
        });
        const hostile = sent.filter((_, i) => specs[i].kind === 'hostile');

        await waitFor(
          () => {
            const letters = rawDeadLetters();
            const seen = new Set(events.messages.map((m) => eventIdOf(m.message)));
            return hostile.every((h) => letters.has(h.coordinate)) && validIds.every((id) => seen.has(id));
          },
          { timeoutMs: 90_000, intervalMs: 100, description: `${hostile.length} dead letters and ${validIds.length} events of this run` },
        );
        const letters = rawDeadLetters();
        for (const { message, coordinate } of hostile) {
          const [letter, ...more] = letters.get(coordinate) ?? [];
          expect(more).toHaveLength(0);
          const body = valueOf<{ code: string; reason: string; key: string | null; value: string | null }>(letter);
          expect(headerOf(letter, 'dlq-code')).toMatch(STABLE_CODE);
          expect(body.code).toMatch(STABLE_CODE);
          expect(body.reason.length).toBeGreaterThan(0);
          const sentKey = message.key === null || message.key === undefined ? null : Buffer.from(message.key as Buffer | string);
          expect(body.key).toBe(sentKey === null ? null : sentKey.toString('base64'));
          const sentValue = message.value === null || message.value === undefined ? '' : Buffer.from(message.value as Buffer | string).toString('base64');
          expect(body.value ?? '').toBe(sentValue);
        }
        hostileRawCoordinates.push(...hostile.map((h) => h.coordinate));
        expectedIds.push(...validIds);
        hostileCounts.rawRecords += hostile.length;
        await expectStillRunning();
      }),
      // Each run waits for the consumer; a failing run would wait again for every shrink.
      { numRuns: 30, seed: SEED + 2, endOnFailure: true },
    );
  }, 600_000);

  it('writes every valid event mixed into all that exactly once to retail.events.v1, and nothing else, without ever crashing', async () => {
    const admin = await world.connectAdmin();
    const fences = await drainIngestion({
      admin,
      consumerGroup: world.consumerGroup,
      rawTopic: world.physical(LOGICAL.raw),
      eventsTopic: world.physical(LOGICAL.events),
      events,
      tag: `hostile-${world.suffix}`,
      timeoutMs: 120_000,
      send: async (fenceEvents) => {
        expect((await post(JSON.stringify(fenceEvents), 'application/json')).status).toBe(202);
      },
    });

    const report = exactlyOnceReport([...expectedIds, ...fences], events.messages.map((m) => eventIdOf(m.message)));
    expect(report).toEqual({ missing: [], duplicated: [], unexpected: [] });
    expect(events.messages.filter((m) => m.message.value?.toString('utf8').includes(POLLUTION_SENTINEL))).toEqual([]);

    const letters = rawDeadLetters();
    expect(hostileRawCoordinates.filter((c) => letters.get(c)?.length !== 1)).toEqual([]);

    const total = hostileCounts.httpItems + hostileCounts.httpBodies + hostileCounts.rawRecords;
    console.info(`hostile payloads: ${JSON.stringify(hostileCounts)}, total ${total}; valid events mixed in: ${expectedIds.length}`);
    expect(total).toBeGreaterThanOrEqual(2000);
    await expectStillRunning();
  }, 300_000);

  // Inputs at the edges of the documented limits. They run last: the raw one can stall its partition.
  describe('at the edges of the limits', () => {
    const deeplyNested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

    it('rejects an item nested 10,000 deep (a JSON.parse-able body) in a 202 and accepts the valid event beside it', async () => {
      const id = nextId('beside-deep');
      const answer = await postRetryingUnavailable(`[${deeplyNested(10_000)},${JSON.stringify(validCustomerEvent(id, 0, 1))}]`);
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 202,
        body: { accepted: 1, duplicates: 0, rejected: [expect.objectContaining({ index: 0, code: expect.stringMatching(STABLE_CODE) })] },
      });
      await expectStillRunning();
    }, 60_000);

    it('rejects one 900 KB hostile item (body under the 1 MiB limit) in a 202 and accepts the valid event beside it', async () => {
      const id = nextId('beside-huge');
      const body = JSON.stringify([{ type: `x${'x'.repeat(900_000)}` }, validCustomerEvent(id, 0, 2)]);
      expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
      const answer = await postRetryingUnavailable(body);
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 202,
        body: { accepted: 1, duplicates: 0, rejected: [expect.objectContaining({ index: 0, code: 'INGEST.UNKNOWN_EVENT_TYPE' })] },
      });
      await expectStillRunning();
    }, 60_000);

    it('accepts a batch at both documented limits: 1,000 valid events of one user in under 1 MiB', async () => {
      const batch = Array.from({ length: 1000 }, () => ({ ...validCustomerEvent(nextId('full'), 0, 3), pad: 'p'.repeat(700) }));
      const body = JSON.stringify(batch);
      expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
      const answer = await postRetryingUnavailable(body);
      expect({ status: answer.status, body: answer.json }).toEqual({ status: 202, body: { accepted: 1000, duplicates: 0, rejected: [] } });
    }, 60_000);

    it('dead-letters an invalid 800 KB raw record and keeps its partition moving', async () => {
      const rawTopic = world.physical(LOGICAL.raw);
      const id = nextId('after-big-raw');
      const event = validCustomerEvent(id, 0, 4);
      const parsed = parseEvent(event);
      if (!parsed.ok) throw new Error('test bug: the event after the big record is not valid');
      const key = partitionKeyOf(parsed.event);
      const partition = partitionOfKey(key, (await (await world.connectAdmin()).fetchTopicOffsets(rawTopic)).length);
      const [sent] = await producer.send({
        topic: rawTopic,
        acks: -1,
        messages: [
          { key, partition, value: JSON.stringify({ junk: 'j'.repeat(800_000) }) },
          { key, partition, value: JSON.stringify(event) },
        ],
      });
      const coordinate = `${partition}/${sent.baseOffset}`;
      await waitFor(
        () => rawDeadLetters().has(coordinate) && events.messages.some((m) => eventIdOf(m.message) === id),
        { timeoutMs: 45_000, description: `the dead letter of ${coordinate} and event ${id} behind it` },
      );
      await expectStillRunning();
    }, 90_000);
  });
});
