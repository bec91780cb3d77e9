import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@storeloop/observability';
import { ApiKeyStore, loadSecuritySettings, sha256Hex } from './api-keys';

const shopHash = sha256Hex('shop-secret');

describe('API key settings', () => {
  it('parses compact keys with scopes and an optional rate', () => {
    const store = new ApiKeyStore(loadSecuritySettings({ API_KEYS: `shop:ingest+infer:${shopHash}:250` }));
    expect(store.lookup('shop-secret')).toEqual({ id: 'shop', scopes: ['ingest', 'infer'], sha256: shopHash, ratePerSec: 250 });
  });

  it('refuses a malformed entry, naming API_KEYS and never echoing the value', () => {
    expect.assertions(3);
    try {
      loadSecuritySettings({ API_KEYS: 'shop:ingest:plain-secret-not-a-hash' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toMatch(/^API_KEYS: expected id:scope\+scope:sha256/);
      expect((error as ConfigError).message).not.toContain('plain-secret-not-a-hash');
    }
  });

  it('refuses an unknown scope', () => {
    expect(() => loadSecuritySettings({ API_KEYS: `shop:root:${shopHash}` })).toThrow(ConfigError);
  });

  it('does not know a key by its hash, only by its secret', () => {
    const store = new ApiKeyStore(loadSecuritySettings({ API_KEYS: `shop:ingest:${shopHash}` }));
    expect(store.lookup(shopHash)).toBeUndefined();
    expect(store.lookup('other')).toBeUndefined();
  });
});

describe('API_KEYS_FILE', () => {
  it('rotates keys without a restart when the file changes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys.json');
    writeFileSync(file, JSON.stringify([{ id: 'old', scopes: ['ingest'], sha256: sha256Hex('old-secret') }]));
    const store = new ApiKeyStore(loadSecuritySettings({ API_KEYS_FILE: file }), 0);
    expect(store.lookup('old-secret')?.id).toBe('old');

    writeFileSync(file, JSON.stringify([{ id: 'new', scopes: ['infer'], sha256: sha256Hex('new-secret') }]));
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect(store.lookup('old-secret')).toBeUndefined();
    expect(store.lookup('new-secret')).toMatchObject({ id: 'new', scopes: ['infer'] });
  });

  it('keeps the last good keys while the file is missing or broken, and takes the next good one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys.json');
    writeFileSync(file, JSON.stringify([{ id: 'old', scopes: ['ingest'], sha256: sha256Hex('old-secret') }]));
    const problems: string[] = [];
    const store = new ApiKeyStore(loadSecuritySettings({ API_KEYS_FILE: file }), 0, (error) => problems.push(error.message));
    let clock = Date.now();
    const touch = (content: string | null) => {
      if (content === null) rmSync(file);
      else writeFileSync(file, content);
      clock += 5000;
      if (content !== null) utimesSync(file, new Date(clock), new Date(clock));
    };

    touch('[{"id": "half-writ');
    expect(store.lookup('old-secret')?.id).toBe('old');
    touch(JSON.stringify([{ id: 'bad', scopes: ['root'], sha256: 'not-a-hash' }]));
    expect(store.lookup('old-secret')?.id).toBe('old');
    touch(null);
    expect(store.lookup('old-secret')?.id).toBe('old');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/API_KEYS_FILE .* not reloaded, the previous keys stay in force: not valid JSON$/);
    expect(problems[1]).toMatch(/0\.scopes\.0: .*; 0\.sha256: sha256 must be 64 lower-case hex digits$/);
    expect(problems[2]).toMatch(/: ENOENT$/);
    expect(problems.join('\n')).not.toContain('half-writ');

    touch(JSON.stringify([{ id: 'new', scopes: ['infer'], sha256: sha256Hex('new-secret') }]));
    expect(store.lookup('new-secret')?.id).toBe('new');
    expect(store.lookup('old-secret')).toBeUndefined();
    expect(problems).toHaveLength(3);
  });
});
