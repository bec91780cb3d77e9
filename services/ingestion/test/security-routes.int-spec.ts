import { PLATFORM_PUBLIC_ROUTES, listRoutes, unprotectedRoutes } from '@storeloop/platform';
import { IngestionModule } from '../src/app.module';
import { loadIngestionConfig } from '../src/config';

/**
 * Every route of the ingestion app needs an API key with a scope, except the
 * platform's public ones. Read from the module's decorator metadata, so no
 * Kafka or Redis is needed.
 */
const PUBLIC_ROUTES = [...PLATFORM_PUBLIC_ROUTES];

describe('ingestion routes', () => {
  it('guards every route with a scope unless it is listed public, and lists no route that does not exist', async () => {
    const routes = await listRoutes(IngestionModule.register(loadIngestionConfig({})));
    expect(unprotectedRoutes(routes, PUBLIC_ROUTES)).toEqual([]);
    expect(PUBLIC_ROUTES.filter((route) => !routes.some((entry) => entry.route === route))).toEqual([]);
    // The scope of each protected route is part of the API's contract: a change here is a change clients see.
    const scopes = Object.fromEntries(routes.filter((entry) => !PUBLIC_ROUTES.includes(entry.route)).map((entry) => [entry.route, entry.scope]));
    expect(scopes).toEqual({
      'POST /v1/events': 'ingest',
    });
  });
});
