import { PLATFORM_PUBLIC_ROUTES, listRoutes, unprotectedRoutes } from '@storeloop/platform';
import { TrainingModule } from '../src/app.module';
import { loadTrainingConfig } from '../src/config';

/**
 * Every route of the training app needs an API key with a scope, except the
 * platform's public ones. Read from the module's decorator metadata, so no
 * Kafka or Redis is needed.
 */
const PUBLIC_ROUTES = [...PLATFORM_PUBLIC_ROUTES];

describe('training routes', () => {
  it('guards every route with a scope unless it is listed public, and lists no route that does not exist', async () => {
    const routes = await listRoutes(TrainingModule.register(loadTrainingConfig({})));
    expect(unprotectedRoutes(routes, PUBLIC_ROUTES)).toEqual([]);
    expect(PUBLIC_ROUTES.filter((route) => !routes.some((entry) => entry.route === route))).toEqual([]);
    // The scope of each protected route is part of the API's contract: a change here is a change clients see.
    const scopes = Object.fromEntries(routes.filter((entry) => !PUBLIC_ROUTES.includes(entry.route)).map((entry) => [entry.route, entry.scope]));
    expect(scopes).toEqual({
      'GET /v1/models': 'admin',
      'GET /v1/models/:name/versions': 'admin',
      'GET /v1/training/status': 'admin',
      'POST /v1/models/:name/promote': 'admin',
      'POST /v1/models/:name/rollback': 'admin',
      'POST /v1/models/:name/train': 'admin',
    });
  });
});
