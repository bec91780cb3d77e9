import { emptyItemView, emptyUserView, itemFeatureVector, userFeatureVector, userItemFeatures, USER_FEATURE_NAMES, USER_ITEM_FEATURE_NAMES, ITEM_FEATURE_NAMES, type ItemFeatureView } from '@storeloop/feature-store';
import { disposePropensityModel, initTfBackend, mulberry32, predictPropensity, scorerRow, trainPropensityMlp, type BinaryLabel } from '@storeloop/ml';
import { buildSnapshot } from '../catalog/item-catalog';
import { MlpScorer } from '../serving/mlp-scorer';
import { ScorerRows, scorerLayout } from './scorer-rows';

const AS_OF = '2026-11-28T12:00:00.000Z';

jest.setTimeout(60_000);

describe('ScorerRows', () => {
  beforeAll(async () => {
    await initTfBackend({ preferred: 'wasm' });
  });

  it('scores candidates from first-layer shares exactly as the whole rows the trainer builds', async () => {
    // The training service's columns: u.<user feature> (cross features included), i.<item feature>.
    const columns = [...USER_FEATURE_NAMES.map((n) => `u.${n}`), ...USER_ITEM_FEATURE_NAMES.map((n) => `u.${n}`), ...ITEM_FEATURE_NAMES.map((n) => `i.${n}`)].sort();
    const layout = scorerLayout(columns);
    expect(layout.userColumns.length + layout.crossColumns.length + layout.itemColumns.length).toBe(columns.length);
    expect(layout.crossColumns).toHaveLength(USER_ITEM_FEATURE_NAMES.length);

    const random = mulberry32(5);
    const items: ItemFeatureView[] = Array.from({ length: 30 }, (_, i) => {
      const view = emptyItemView('default', `s${i}`, AS_OF);
      return { ...view, known: true, active: true, categoryPath: [i % 2 ? 'Garden' : 'Books'], price: { amount: String(1 + i), currency: 'EUR' }, popularity: { ...view.popularity, view: random() * 50, order: random() * 5 }, totals: { ...view.totals, view: Math.floor(random() * 100) } };
    });
    const user = {
      ...emptyUserView('default', 'u1', AS_OF),
      known: true,
      recentItems: [{ sku: 's3', activity: 'view' as const, at: AS_OF }],
      categoryAffinity: [{ path: ['Garden'], weight: 2.5 }],
      rfm: { recencyDays: 3, frequency: 4, monetary: { EUR: '120.00' }, firstOrderAt: AS_OF, lastOrderAt: AS_OF },
    };
    const rowOf = (item: ItemFeatureView) => scorerRow(columns, { ...userFeatureVector(user), ...userItemFeatures(user, item) }, itemFeatureVector(item));
    const rows = items.map(rowOf);
    const labels: BinaryLabel[] = items.map((_, i) => (i % 3 === 0 ? 1 : 0));
    const trained = await trainPropensityMlp({
      featureNames: columns,
      train: { rows: [...rows, ...rows], labels: [...labels, ...labels] },
      validation: { rows, labels },
      config: { seed: 3, maxEpochs: 2, patience: 2, batchSize: 16, learningRate: 1e-2, calibration: 'none' },
    });
    try {
      const scorer = MlpScorer.fromLoaded(trained);
      const catalog = buildSnapshot('default', items, 1);
      const candidates = items.map((item) => catalog.items.get(item.sku)!);
      const scored = new ScorerRows(scorer);
      const expected = predictPropensity(trained, rows);
      const first = scored.score(user, candidates, catalog, () => candidates[0]);
      // Second call: item shares from the cache.
      const again = scored.score(user, candidates, catalog, () => candidates[0]);
      first.forEach((p, i) => {
        expect(Math.abs(p - expected[i])).toBeLessThan(1e-5);
        expect(again[i]).toBe(p);
      });
      expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(0);
      // Another tenant with the same SKUs but other item features (same generation number): its own item shares.
      const otherItems = items.map((item) => ({ ...item, tenant: 'other', popularity: { ...item.popularity, view: item.popularity.view * 7 + 3 } }));
      const otherCatalog = buildSnapshot('other', otherItems, 1);
      const other = scored.score(user, otherItems.map((item) => otherCatalog.items.get(item.sku)!), otherCatalog, () => candidates[0]);
      const otherExpected = predictPropensity(trained, otherItems.map(rowOf));
      other.forEach((p, i) => expect(Math.abs(p - otherExpected[i])).toBeLessThan(1e-5));
      expect(other.some((p, i) => Math.abs(p - first[i]) > 1e-6)).toBe(true);
    } finally {
      disposePropensityModel(trained);
    }
  });
});
