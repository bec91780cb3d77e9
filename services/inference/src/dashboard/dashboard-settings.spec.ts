import { dashboardConfigSchema } from './dashboard-settings';

describe('dashboard settings', () => {
  it('defaults to the five services on their local ports, scraping every 2 s, 300 points', () => {
    const settings = dashboardConfigSchema.parse({});
    expect(settings.DASHBOARD_TARGETS.map((t) => `${t.name}=${t.baseUrl}`)).toEqual([
      'ingestion=http://127.0.0.1:3001',
      'features=http://127.0.0.1:3002',
      'training=http://127.0.0.1:3003',
      'inference=http://127.0.0.1:3004',
      'replenishment=http://127.0.0.1:3005',
    ]);
    expect(settings).toMatchObject({ DASHBOARD_SCRAPE_INTERVAL_MS: 2000, DASHBOARD_WINDOW: 300 });
    expect(settings.DASHBOARD_API_KEY).toBeUndefined();
  });

  it('reads name=baseUrl lists, dropping trailing slashes and keeping path prefixes', () => {
    const settings = dashboardConfigSchema.parse({ DASHBOARD_TARGETS: ' training=http://training:3003/ , replenishment=https://gw.example/replenishment/' });
    expect(settings.DASHBOARD_TARGETS).toEqual([
      { name: 'training', baseUrl: 'http://training:3003' },
      { name: 'replenishment', baseUrl: 'https://gw.example/replenishment' },
    ]);
  });

  it.each([
    ['training', /name=baseUrl/],
    ['Training=http://x', /name=baseUrl/],
    ['training=not a url', /not a URL/],
    ['training=ftp://x', /http\(s\)/],
    ['training=http://x/?a=1', /without query/],
    ['a=http://x,a=http://y', /named twice/],
    [',', /at least one target/],
  ])('refuses DASHBOARD_TARGETS=%j', (value, message) => {
    const parsed = dashboardConfigSchema.safeParse({ DASHBOARD_TARGETS: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(message);
  });
});
