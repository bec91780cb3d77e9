import { setTimeout as sleep } from 'node:timers/promises';
import type { SingleBar } from 'cli-progress';
import { PlatformRequestError, type PlatformClient } from './platform-client';
import { dueAtMs, retryDelayMs } from './pacing';

export interface ReplayTally {
  dataset: string;
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Rejections by error code (a clean dataset has none). */
  rejectedByCode: Record<string, number>;
  /** Batches retried after a 429, a 503 or a network error. */
  retries: number;
  seconds: number;
}

export interface ReplayOptions {
  /** Events per second, on average. */
  rate: number;
  batchSize: number;
  bar?: SingleBar;
}

const MAX_ATTEMPTS = 10;

interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; message: string }[];
}

/**
 * Sends a dataset's events through POST /v1/events in order, one batch at a
 * time (a shopper's events stay in order), at `rate` events per second. A
 * batch refused with 429 or 503, or lost to a network error, is sent again
 * (ingestion deduplicates by source and id, so a retry never doubles an
 * event); anything else stops the replay with the service's answer.
 */
export async function replayThroughIngestion(client: PlatformClient, dataset: string, events: readonly unknown[], options: ReplayOptions): Promise<ReplayTally> {
  const tally: ReplayTally = { dataset, sent: 0, accepted: 0, duplicates: 0, rejected: 0, rejectedByCode: {}, retries: 0, seconds: 0 };
  const started = Date.now();
  for (let i = 0; i < events.length; i += options.batchSize) {
    const wait = dueAtMs(started, i, options.rate) - Date.now();
    if (wait > 0) await sleep(wait);
    const batch = events.slice(i, i + options.batchSize);
    const answer = await sendBatch(client, batch, tally);
    tally.sent += batch.length;
    tally.accepted += answer.accepted;
    tally.duplicates += answer.duplicates;
    tally.rejected += answer.rejected.length;
    for (const { code } of answer.rejected) tally.rejectedByCode[code] = (tally.rejectedByCode[code] ?? 0) + 1;
    options.bar?.update(tally.sent, { accepted: tally.accepted, rejected: tally.rejected });
  }
  tally.seconds = (Date.now() - started) / 1000;
  return tally;
}

async function sendBatch(client: PlatformClient, batch: readonly unknown[], tally: ReplayTally): Promise<IngestAnswer> {
  for (let attempt = 0; ; attempt += 1) {
    let retryAfter: string | null = null;
    try {
      const response = await fetch(`${client.urls.ingestion}/v1/events`, {
        method: 'POST',
        headers: { 'X-Api-Key': client.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      if (response.status === 202) return JSON.parse(text) as IngestAnswer;
      if (response.status !== 429 && response.status !== 503) throw new PlatformRequestError(response.status, text, 'POST ingestion/v1/events');
      retryAfter = response.headers.get('retry-after');
      if (attempt + 1 >= MAX_ATTEMPTS) throw new PlatformRequestError(response.status, text, `POST ingestion/v1/events (after ${MAX_ATTEMPTS} attempts)`);
    } catch (error) {
      if (error instanceof PlatformRequestError) throw error;
      if (attempt + 1 >= MAX_ATTEMPTS) throw error;
    }
    tally.retries += 1;
    await sleep(retryDelayMs(attempt, retryAfter));
  }
}

