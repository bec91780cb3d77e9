import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadIngestionConfig } from './config';

describeServiceConfig('ingestion', loadIngestionConfig, DEFAULT_PORT);

describe('ingestion settings', () => {
  it('defaults to 1,000 events, 1 MiB and a 24 h dedup window', () => {
    expect(loadIngestionConfig({}).ingest).toMatchObject({
      INGEST_MAX_EVENTS: 1000,
      INGEST_MAX_BYTES: 1048576,
      INGEST_DEDUP_WINDOW_MS: 86_400_000,
      INGEST_CONSUME_RAW: true,
    });
  });

  it('refuses malformed API keys, naming the variable', () => {
    expect(() => loadIngestionConfig({ API_KEYS: 'shop:ingest:not-a-hash' })).toThrow(/API_KEYS: expected id:scope\+scope:sha256/);
  });
});
