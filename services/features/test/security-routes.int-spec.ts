import { PLATFORM_PUBLIC_ROUTES, listRoutes, unprotectedRoutes } from '@storeloop/platform';
import { FeaturesModule } from '../src/app.module';
import { loadFeaturesConfig } from '../src/config';

/**
 * The features app serves no client API (it only consumes Kafka) and no
 * docs: its routes are the platform's probes and metrics, and nothing may be
 * added without a scope. Read from the module's decorator metadata, so no
 * Kafka or Redis is needed.
 */
const PUBLIC_ROUTES = PLATFORM_PUBLIC_ROUTES.filter((route) => !route.startsWith('GET /docs'));

describe('features routes', () => {
  it('guards every route with a scope unless it is listed public, and lists no route that does not exist', async () => {
    const routes = await listRoutes(FeaturesModule.register(loadFeaturesConfig({})));
    expect(unprotectedRoutes(routes, PUBLIC_ROUTES)).toEqual([]);
    expect(PUBLIC_ROUTES.filter((route) => !routes.some((entry) => entry.route === route))).toEqual([]);
    // The scope of each protected route is part of the API's contract: a change here is a change clients see.
    const scopes = Object.fromEntries(routes.filter((entry) => !PUBLIC_ROUTES.includes(entry.route)).map((entry) => [entry.route, entry.scope]));
    expect(scopes).toEqual({});
  });
});
