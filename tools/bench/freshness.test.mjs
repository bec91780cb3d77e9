// Unit tests of the freshness bench's pure parts: `node --test tools/bench/`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultRate, eventAt, latencySummary } from './freshness.mjs';

describe('latencySummary', () => {
  it('gives nearest-rank percentiles, the max and the share within one second', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 20); // 20, 40, ..., 2000 ms
    const s = latencySummary(values);
    assert.equal(s.count, 100);
    assert.equal(s.p50Ms, 1000);
    assert.equal(s.p95Ms, 1900);
    assert.equal(s.p99Ms, 1980);
    assert.equal(s.maxMs, 2000);
    assert.equal(s.withinOneSecondShare, 0.5);
  });

  it('has no figures without values', () => {
    const s = latencySummary([]);
    assert.equal(s.p99Ms, null);
    assert.equal(s.withinOneSecondShare, null);
  });
});

describe('defaultRate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshness-rate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is half the measured features throughput', () => {
    const file = join(dir, 'features.json');
    writeFileSync(file, JSON.stringify({ eventsPerSec: 2307 }));
    assert.equal(defaultRate(file).rate, 1154);
  });

  it('falls back to 1,000 events/s without a measured throughput', () => {
    assert.equal(defaultRate(join(dir, 'missing.json')).rate, 1000);
    const file = join(dir, 'empty.json');
    writeFileSync(file, JSON.stringify({ eventsPerSec: null }));
    assert.equal(defaultRate(file).rate, 1000);
  });
});

describe('eventAt', () => {
  const sequence = Array.from({ length: 7 }, (_, k) => ({ specversion: '1.0', source: `/src/${k}`, type: 'com.storeloop.order.placed.v1', time: '2020-01-01T00:00:00.000Z', data: { k } }));
  const ctx = { run: 'r1', options: { probeEvery: 3 }, sequence, productViewed: 'com.storeloop.product.viewed.v1' };

  it('makes every n-th event a probe view of a SKU of its own, and the others the dataset sequence in order', () => {
    const events = Array.from({ length: 9 }, (_, i) => eventAt(ctx, i, '2026-01-01T00:00:00.000Z'));
    assert.deepEqual(
      events.map((e) => e.sku),
      [null, null, 'FRESH-r1-0', null, null, 'FRESH-r1-1', null, null, 'FRESH-r1-2'],
    );
    const datasetIndexes = events.filter((e) => !e.sku).map((e) => JSON.parse(e.json).data.k);
    assert.deepEqual(datasetIndexes, [0, 1, 2, 3, 4, 5]);
    assert.equal(new Set(events.map((e) => e.id)).size, 9);
  });

  it('stamps a probe with the send time, its own id and the view of its SKU', () => {
    const probe = JSON.parse(eventAt(ctx, 2, '2026-01-01T00:00:00.000Z').json);
    assert.equal(probe.id, 'r1-f-2');
    assert.equal(probe.type, 'com.storeloop.product.viewed.v1');
    assert.equal(probe.time, '2026-01-01T00:00:00.000Z');
    assert.equal(probe.data.sku, 'FRESH-r1-0');
    assert.equal(probe.subject, 'FRESH-r1-0');
  });
});
