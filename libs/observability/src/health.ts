import { Controller, Get, Inject, Injectable, ServiceUnavailableException, type BeforeApplicationShutdown } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { errorMessage } from './errors';
import { processLiveness, type LivenessRegistry } from './liveness';

/** A dependency the service needs to do its work (Kafka, Redis, a model store...). */
export interface ReadinessProbe {
  readonly name: string;
  /** Resolves when the dependency answers; may return details shown in /health/ready. */
  check(): Promise<Record<string, unknown> | void>;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');
export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

export interface HealthOptions {
  /** Upper bound for each probe: a hung dependency must not hang the readiness endpoint. */
  probeTimeoutMs: number;
  /** `/health/live` fails once a registered loop (a Kafka consumer) has shown no progress for this long; 0 turns that off. */
  stallTimeoutMs?: number;
  /** Where the loops register; the process's registry by default. */
  liveness?: LivenessRegistry;
}

/** Flips to draining when shutdown starts, so load balancers stop routing before connections close. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
    @Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[],
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  /**
   * 200 while the process runs and none of its consumers is stalled; 503
   * naming the stalled ones otherwise, for the orchestrator to restart it.
   * Dependencies being down never fail it (that is readiness): a consumer
   * waiting on a broker still retries, reconnects and crashes, all of which
   * count as progress.
   */
  @Get('live')
  live(): { status: 'ok' } {
    const verdict = (this.options.liveness ?? processLiveness).evaluate(this.options.stallTimeoutMs ?? 0);
    if (!verdict.alive) {
      throw new ServiceUnavailableException({
        status: 'error',
        message: `stalled: ${verdict.stalled.map((s) => `${s.name} silent for ${Math.round(s.silentForMs / 1000)} s`).join(', ')}`,
        stalled: verdict.stalled,
      });
    }
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = [
      async (): Promise<HealthIndicatorResult> => {
        const session = this.indicators.check('lifecycle');
        return this.shutdown.isDraining ? session.down({ message: 'shutting down' }) : session.up();
      },
      ...this.probes.map((probe) => async (): Promise<HealthIndicatorResult> => {
        const session = this.indicators.check(probe.name);
        const started = Date.now();
        try {
          const details = await withTimeout(probe.check(), this.options.probeTimeoutMs, probe.name);
          return session.up({ ...(details ?? {}), latencyMs: Date.now() - started });
        } catch (error) {
          return session.down({ message: errorMessage(error), latencyMs: Date.now() - started });
        }
      }),
    ];
    return this.health.check(checks);
  }
}
