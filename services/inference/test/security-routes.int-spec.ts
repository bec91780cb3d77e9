import { PLATFORM_PUBLIC_ROUTES, listRoutes, unprotectedRoutes } from '@storeloop/platform';
import { InferenceModule } from '../src/app.module';
import { loadInferenceConfig } from '../src/config';

/**
 * Every route of the inference app needs an API key with a scope, except the
 * platform's public ones and the dashboard page's own files (they hold no
 * data: the page asks for an admin key and sends it with each data request).
 * Read from the module's decorator metadata, so no Kafka or Redis is needed.
 */
const PUBLIC_ROUTES = [...PLATFORM_PUBLIC_ROUTES, 'GET /dashboard', 'GET /dashboard/:name', 'GET /dashboard/vendor/:name'];

describe('inference routes', () => {
  it('guards every route with a scope unless it is listed public, and lists no route that does not exist', async () => {
    const routes = await listRoutes(InferenceModule.register(loadInferenceConfig({})));
    expect(unprotectedRoutes(routes, PUBLIC_ROUTES)).toEqual([]);
    expect(PUBLIC_ROUTES.filter((route) => !routes.some((entry) => entry.route === route))).toEqual([]);
    // The scope of each protected route is part of the API's contract: a change here is a change clients see.
    const scopes = Object.fromEntries(routes.filter((entry) => !PUBLIC_ROUTES.includes(entry.route)).map((entry) => [entry.route, entry.scope]));
    expect(scopes).toEqual({
      'GET /v1/admin/dashboard/models': 'admin',
      'GET /v1/admin/dashboard/preview': 'admin',
      'GET /v1/admin/dashboard/replenishment': 'admin',
      'GET /v1/admin/dashboard/replenishment/pairs': 'admin',
      'GET /v1/admin/dashboard/series': 'admin',
      'GET /v1/admin/models': 'admin',
      'GET /v1/items/:itemId/similar': 'infer',
      'GET /v1/users/:userId/recommendations': 'infer',
      'GET /v1/users/:userId/segment': 'infer',
      'POST /v1/admin/catalog/refresh': 'admin',
      'POST /v1/admin/models/reload': 'admin',
      'POST /v1/feedback': 'infer',
      'POST /v1/propensity': 'infer',
      'POST /v1/recommendations\\:batch': 'infer',
    });
  });
});
