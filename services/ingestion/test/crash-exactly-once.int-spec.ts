import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer } from 'kafkajs';
import { freePort, uniqueName, waitFor, type TopicReader } from '@storeloop/testing';
import { IngestionWorld, LOGICAL, SECRETS } from './harness';
import { drainIngestion, eventIdOf, exactlyOnceReport, rawConsumerPosition } from './support/exactly-once';
import { validCustomerEvent } from './support/hostile-payloads';
import { IngestionProcess, type ProcessExit } from './support/ingestion-process';
import { mulberry32 } from '@storeloop/ml';

const BATCHES = 200;
const BATCH_SIZE = 100;
const CLIENTS = 4;
const KILLS = 3;
/** Clients hold back while the consumer is this many records behind, so the stream outlasts each restart's rebalance. */
const MAX_RAW_LAG = 2_000;
/** How far past a planned kill the clients may run before they wait for it: kills always land mid-stream. */
const GATE_SLACK = 15;
const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Date.now() % 2 ** 31;


interface Submission {
  label: string;
  body: string;
  size: number;
  /** Position in the main sequence of batches; resends and mixed batches have none. */
  mainIndex?: number;
}

class UnexpectedAnswer extends Error {}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('exactly once through SIGKILL (built service, real Kafka and Redis)', () => {
  const world = new IngestionWorld();
  let ingestion: IngestionProcess | undefined;
  let uncommitted: Consumer | undefined;

  afterAll(async () => {
    await ingestion?.dispose();
    await uncommitted?.disconnect();
    await world.dispose();
  });

  it('writes every event of every batch answered 202 exactly once, and nothing else, while the service is SIGKILLed and restarted mid-stream', async () => {
    const random = mulberry32(SEED);
    const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    const killAfter = [between(20, 45), between(85, 110), between(145, 170)];
    console.info(`crash-exactly-once seed ${SEED}: kills after ${killAfter.join(', ')} acknowledged batches`);

    const secretHash = createHash('sha256').update(SECRETS.writer, 'utf8').digest('hex');
    ingestion = new IngestionProcess(
      world.env({ API_KEYS: `writer:ingest:${secretHash}:100000`, RATE_LIMIT_BURST: '100000', INGEST_RETRY_AFTER_SECONDS: '1' }),
      await freePort(),
    );
    await ingestion.start();
    const service = ingestion;
    const admin: Admin = await world.connectAdmin();
    const rawTopic = world.physical(LOGICAL.raw);
    const eventsTopic = world.physical(LOGICAL.events);
    const position = () => rawConsumerPosition(admin, world.consumerGroup, rawTopic);
    const events: TopicReader = await world.reader(LOGICAL.events);
    // Only for the report: what the log holds, aborted attempts included.
    uncommitted = world.kafka.consumer({ groupId: uniqueName('uncommitted'), readUncommitted: true });
    await uncommitted.connect();
    await uncommitted.subscribe({ topic: eventsTopic, fromBeginning: true });
    let uncommittedCount = 0;
    await uncommitted.run({ eachMessage: async () => void uncommittedCount++ });

    // The plan: 200 batches of 100 new events, resends of earlier batches, and batches half old, half new.
    const tag = `crash-${world.suffix}`;
    const expectedIds: string[] = [];
    const mainBatches = Array.from({ length: BATCHES }, (_, b) =>
      Array.from({ length: BATCH_SIZE }, (_, i) => {
        const id = `${tag}-b${b}-e${i}`;
        expectedIds.push(id);
        return validCustomerEvent(id, b + i, b * BATCH_SIZE + i);
      }),
    );
    const submissions: Submission[] = [];
    const submit = (label: string, batch: Record<string, unknown>[], mainIndex?: number) =>
      submissions.push({ label, body: JSON.stringify(batch), size: batch.length, mainIndex });
    mainBatches.forEach((batch, b) => {
      submit(`batch ${b}`, batch, b);
      if (b % 20 === 10) submit(`resend of batch ${b - 5}`, mainBatches[b - 5]);
      if (b % 40 === 30) {
        const fresh = Array.from({ length: BATCH_SIZE / 2 }, (_, i) => {
          const id = `${tag}-m${b}-e${i}`;
          expectedIds.push(id);
          return validCustomerEvent(id, i, b + i);
        });
        submit(`half of batch ${b - 7} with ${fresh.length} new`, [...mainBatches[b - 7].slice(0, BATCH_SIZE / 2), ...fresh]);
      }
    });

    const stats = { accepted: 0, duplicates: 0, connectionFailures: 0, unavailable: 0, acknowledged: 0 };
    let inFlight = 0;
    let acknowledgedMain = 0;

    /** The client under test: the same batch, again and again, until it is answered 202. */
    async function sendUntilAccepted(label: string, body: string, size: number): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        inFlight++;
        try {
          const response = await fetch(`${service.url}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': SECRETS.writer },
            body,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await response.text();
          if (response.status === 202) {
            const answer = JSON.parse(text) as { accepted: number; duplicates: number; rejected: unknown[] };
            if (answer.accepted + answer.duplicates !== size || answer.rejected.length > 0) {
              throw new UnexpectedAnswer(`${label}: 202 that does not account for ${size} valid events: ${text}`);
            }
            stats.accepted += answer.accepted;
            stats.duplicates += answer.duplicates;
            stats.acknowledged++;
            return;
          }
          if (response.status !== 503) throw new UnexpectedAnswer(`${label}: ${response.status} ${text.slice(0, 500)}`);
          stats.unavailable++;
        } catch (error) {
          if (error instanceof UnexpectedAnswer) throw error;
          stats.connectionFailures++;
        } finally {
          inFlight--;
        }
        if (attempt >= 1_000) throw new Error(`${label}: no 202 after ${attempt} attempts`);
        await sleep(Math.min(1_000, 25 * attempt));
      }
    }

    const killed = Array.from({ length: KILLS }, () => deferred());
    const kills: { afterBatches: number; inFlight: number; exit: ProcessExit }[] = [];

    async function killer(): Promise<void> {
      let committedSinceStart = 0;
      for (let k = 0; k < KILLS; k++) {
        // Due once enough batches are acknowledged and this process's consumer is committing transactions.
        await waitFor(async () => acknowledgedMain >= killAfter[k] && (await position()).committed > committedSinceStart, {
          timeoutMs: 240_000,
          intervalMs: 50,
          description: `kill ${k + 1}: ${killAfter[k]} batches acknowledged and the consumer committing`,
        });
        await sleep(random() * 300);
        const inFlightNow = inFlight;
        const exit = await service.kill();
        kills.push({ afterBatches: acknowledgedMain, inFlight: inFlightNow, exit });
        committedSinceStart = (await position()).committed;
        await service.start();
        killed[k].resolve();
      }
    }

    async function client(queue: Submission[]): Promise<void> {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { label, body, size, mainIndex } = next;
        if (mainIndex !== undefined) {
          for (let k = 0; k < KILLS; k++) if (mainIndex >= killAfter[k] + GATE_SLACK) await killed[k].promise;
          await waitFor(async () => {
            const { written, committed } = await position();
            return written - committed <= MAX_RAW_LAG;
          }, { timeoutMs: 240_000, intervalMs: 100, description: `the consumer within ${MAX_RAW_LAG} records of the raw topic's end` });
        }
        await sendUntilAccepted(label, body, size);
        if (mainIndex !== undefined) acknowledgedMain++;
      }
    }

    const started = Date.now();
    const queue = [...submissions];
    await Promise.all([killer(), ...Array.from({ length: CLIENTS }, () => client(queue))]);
    const streamedMs = Date.now() - started;

    const fences = await drainIngestion({
      admin,
      consumerGroup: world.consumerGroup,
      rawTopic,
      eventsTopic,
      events,
      tag,
      timeoutMs: 240_000,
      send: (fenceEvents) => sendUntilAccepted('fences', JSON.stringify(fenceEvents), fenceEvents.length),
    });
    console.info(
      `crash-exactly-once: ${submissions.length} batches acknowledged in ${streamedMs} ms, drained after ${Date.now() - started} ms; ` +
        `${JSON.stringify(stats)}; kills ${JSON.stringify(kills.map((k) => ({ afterBatches: k.afterBatches, inFlight: k.inFlight, signal: k.exit.signal })))}; ` +
        `records read uncommitted ${uncommittedCount}, committed ${events.messages.length}; exits ${JSON.stringify(service.exits)}`,
    );

    // Killed exactly as often as planned, each time by us: no crash of its own.
    expect(service.exits.map((e) => e.signal)).toEqual(Array.from({ length: KILLS }, () => 'SIGKILL'));
    expect(stats.acknowledged).toBe(submissions.length + 1);
    // The group's offsets commit in the same transaction as the fences, but the coordinator
    // materialises them when the transaction markers reach __consumer_offsets, which can come
    // a moment after the fences are readable: wait for it rather than read it once.
    await waitFor(async () => (await position()).caughtUp, { timeoutMs: 60_000, intervalMs: 100, description: 'the raw consumer caught up after the fences' });
    const report = exactlyOnceReport([...expectedIds, ...fences], events.messages.map((m) => eventIdOf(m.message)));
    // At most 20 of each, so a failure stays readable.
    expect({ missing: report.missing.slice(0, 20), duplicated: report.duplicated.slice(0, 20), unexpected: report.unexpected.slice(0, 20) }).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    expect(events.messages).toHaveLength(expectedIds.length + fences.length);
  }, 900_000);
});
