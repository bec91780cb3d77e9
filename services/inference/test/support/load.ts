import { performance } from 'node:perf_hooks';

/** One request of a load run: when it was sent and answered (ms on the performance clock), and what came back. */
export interface LoadSample {
  startedAt: number;
  endedAt: number;
  /** HTTP status; 0 when the request failed without one (connection refused, reset...). */
  status: number;
  /** `modelVersion` of a 200 answer. */
  version: string | null;
  error?: string;
}

/**
 * Closed-loop load: `workers` concurrent loops, each sending its next request
 * as soon as the previous one is answered, until `stop()`. Every request is
 * recorded, so a test can check each answer against the moment something
 * changed (a swap) instead of sampling.
 */
export class RecommendationLoad {
  readonly samples: LoadSample[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private next = 0;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly userIds: readonly string[],
    private readonly workers = 8,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.workers }, () => this.loop());
  }

  async stop(): Promise<LoadSample[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.samples;
  }

  /** Samples answered with `version` that were sent after `after`. */
  countSince(version: string, after: number): number {
    let n = 0;
    for (const sample of this.samples) if (sample.version === version && sample.startedAt > after) n += 1;
    return n;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const userId = this.userIds[this.next++ % this.userIds.length];
      const startedAt = performance.now();
      try {
        const response = await fetch(`${this.url}/v1/users/${encodeURIComponent(userId)}/recommendations?k=10`, { headers: { 'X-Api-Key': this.secret } });
        const body = (await response.json()) as { modelVersion?: string };
        this.samples.push({ startedAt, endedAt: performance.now(), status: response.status, version: response.status === 200 ? (body.modelVersion ?? null) : null });
      } catch (error) {
        this.samples.push({ startedAt, endedAt: performance.now(), status: 0, version: null, error: (error as Error).message });
      }
    }
  }
}

/** Largest time between two consecutive answers, the median and the slowest answer, in ms. */
export function loadFigures(samples: readonly LoadSample[]): { requests: number; largestGapMs: number; medianMs: number; slowestMs: number } {
  const ends = samples.map((s) => s.endedAt).sort((a, b) => a - b);
  let largestGapMs = 0;
  for (let i = 1; i < ends.length; i += 1) largestGapMs = Math.max(largestGapMs, ends[i] - ends[i - 1]);
  const latencies = samples.map((s) => s.endedAt - s.startedAt).sort((a, b) => a - b);
  const medianMs = latencies.length ? latencies[Math.floor(latencies.length / 2)] : 0;
  return { requests: samples.length, largestGapMs: Math.round(largestGapMs), medianMs: Math.round(medianMs), slowestMs: Math.round(latencies[latencies.length - 1] ?? 0) };
}
