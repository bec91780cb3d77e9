import { Controller, Get, Header, Inject, Injectable, type NestInterceptor, type CallHandler, type ExecutionContext } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { finalize, type Observable } from 'rxjs';
import { getOrCreateHistogram } from './metrics';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Request duration by route template (never the raw URL: ids in paths would explode cardinality). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  private readonly histogram;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.histogram = getOrCreateHistogram(registry, {
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<{ method: string; route?: { path?: string } }>();
    const res = http.getResponse<{ statusCode: number }>();
    const end = this.histogram.startTimer();
    return next.handle().pipe(
      finalize(() => end({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) })),
    );
  }
}
