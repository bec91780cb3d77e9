import 'reflect-metadata';
import { Controller, Get, Module, Post, UseGuards, forwardRef, type DynamicModule } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { ApiKeyGuard, RequireScope } from './api-key.guard';
import { listRoutes, unprotectedRoutes } from './route-audit';

@Controller('v1/orders')
@UseGuards(ApiKeyGuard)
@RequireScope('infer')
class OrdersController {
  @Get(':id')
  one() {}

  @Post(['', 'bulk'])
  @RequireScope('admin')
  create() {}
}

@Controller('v1/mixed')
@UseGuards(ApiKeyGuard)
class MixedController {
  @Get('scoped')
  @RequireScope('ingest')
  scoped() {}

  /** Guarded, but without a scope the guard lets everyone through. */
  @Get('forgotten')
  forgotten() {}
}

@Controller('v1/unguarded')
class UnguardedController {
  /** A scope without the guard is only a label. */
  @Get()
  @RequireScope('admin')
  labelled() {}

  @EventPattern('retail.events.v1')
  consume() {}

  helper() {}
}

@Controller('health')
class HealthProbeController {
  @Get('live')
  live() {}
}

@Module({ controllers: [HealthProbeController] })
class HealthModule {}

@Module({ imports: [forwardRef(() => HealthModule)], controllers: [UnguardedController] })
class StaticModule {}

class ShopModule {
  static register(): DynamicModule {
    return { module: ShopModule, imports: [StaticModule, Promise.resolve({ module: HealthModule })], controllers: [OrdersController, MixedController] };
  }
}

describe('listRoutes', () => {
  it('lists every HTTP route of the module graph once, with its guard and scope', async () => {
    const routes = await listRoutes(ShopModule.register());
    expect(routes.map(({ route, scope, guarded }) => ({ route, scope, guarded }))).toEqual([
      { route: 'GET /health/live', scope: undefined, guarded: false },
      { route: 'GET /v1/mixed/forgotten', scope: undefined, guarded: true },
      { route: 'GET /v1/mixed/scoped', scope: 'ingest', guarded: true },
      { route: 'GET /v1/orders/:id', scope: 'infer', guarded: true },
      { route: 'GET /v1/unguarded', scope: 'admin', guarded: false },
      { route: 'POST /v1/orders', scope: 'admin', guarded: true },
      { route: 'POST /v1/orders/bulk', scope: 'admin', guarded: true },
    ]);
    expect(routes.find((r) => r.route === 'GET /v1/orders/:id')).toMatchObject({ controller: 'OrdersController', handler: 'one' });
  });
});

describe('unprotectedRoutes', () => {
  it('reports routes that lack the guard or a scope, unless they are listed public', async () => {
    const routes = await listRoutes(ShopModule.register());
    expect(unprotectedRoutes(routes, ['GET /health/live']).map((r) => r.route)).toEqual(['GET /v1/mixed/forgotten', 'GET /v1/unguarded']);
    expect(unprotectedRoutes(routes, []).map((r) => r.route)).toContain('GET /health/live');
  });
});
