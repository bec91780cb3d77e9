import { setTimeout as sleep } from 'node:timers/promises';

export interface ProbeAnswer {
  at: number;
  status: number | 'network' | 'timeout';
  degraded: boolean;
  recommendationId?: string;
  /** For a network failure: the system error code (ECONNRESET, …) or the message. */
  error?: string;
}

/** Who the probe asks for: `users` in turn, and every `hotEvery`-th request one of `hotUsers` (a crawler, a page that refreshes itself). */
export interface ProbeUsers {
  users: number;
  hotUsers?: number;
  hotEvery?: number;
}

/**
 * A storefront asking inference for recommendations every `intervalMs`, for
 * users of its own (so their impressions are told apart), recording each
 * answer's status, whether it was marked degraded, and its recommendation id.
 */
export class InferenceProbe {
  readonly answers: ProbeAnswer[] = [];
  private running = false;
  private loop?: Promise<void>;
  private n = 0;

  constructor(
    private readonly url: () => string,
    private readonly apiKey: string,
    readonly userPrefix: string,
    private readonly intervalMs = 100,
    private readonly who: ProbeUsers = { users: 50 },
  ) {}

  private nextUser(): string {
    const n = this.n++;
    const { users, hotUsers = 0, hotEvery = 0 } = this.who;
    if (hotUsers > 0 && hotEvery > 0 && n % hotEvery === 0) return `${this.userPrefix}hot-${(n / hotEvery) % hotUsers}`;
    return `${this.userPrefix}${n % users}`;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        await this.ask();
        await sleep(Math.max(0, this.intervalMs - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  between(from: number, to: number): ProbeAnswer[] {
    return this.answers.filter((a) => a.at >= from && a.at <= to);
  }

  private async ask(): Promise<void> {
    const user = this.nextUser();
    const at = Date.now();
    try {
      const response = await fetch(`${this.url()}/v1/users/${encodeURIComponent(user)}/recommendations?k=5`, {
        headers: { 'X-Api-Key': this.apiKey },
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json().catch(() => ({}))) as { degraded?: boolean; recommendationId?: string };
      this.answers.push({ at, status: response.status, degraded: body.degraded === true, recommendationId: body.recommendationId });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') this.answers.push({ at, status: 'timeout', degraded: false });
      else this.answers.push({ at, status: 'network', degraded: false, error: e.cause?.code ?? e.cause?.message ?? e.message });
    }
  }
}

export function tally(answers: readonly ProbeAnswer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.status}${a.error ? ` ${a.error}` : ''}${a.degraded ? ' degraded' : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
