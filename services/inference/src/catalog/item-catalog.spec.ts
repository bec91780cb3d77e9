import { emptyItemView, keyPart, type ItemFeatureView } from '@storeloop/feature-store';
import { buildSnapshot, decodeKeyPart, popularityOf } from './item-catalog';

function item(sku: string, views: number, orders: number, path: string[] | null, active: boolean | null = true): ItemFeatureView {
  const view = emptyItemView('default', sku, '2026-11-28T00:00:00.000Z');
  return { ...view, known: true, categoryPath: path, active, popularity: { ...view.popularity, view: views, order: orders } };
}

describe('item catalogue snapshot', () => {
  it('weights orders above views in popularity', () => {
    expect(popularityOf(item('a', 10, 0, null))).toBe(10);
    expect(popularityOf(item('b', 0, 3, null))).toBe(15);
  });

  it('ranks active items overall and per category prefix, leaving out unknown and inactive items', () => {
    const snapshot = buildSnapshot(
      'default',
      [
        item('a', 10, 0, ['Garden', 'Tools']),
        item('b', 0, 3, ['Garden']),
        item('c', 100, 0, ['Garden', 'Tools'], false),
        item('d', 1, 0, ['Kitchen']),
        { ...emptyItemView('default', 'ghost', '2026-11-28T00:00:00.000Z') },
      ],
      3,
    );
    expect(snapshot.generation).toBe(3);
    expect([...snapshot.items.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(snapshot.popular.map((i) => i.sku)).toEqual(['b', 'a', 'd']);
    expect(snapshot.popularByCategory.get('Garden')?.map((i) => i.sku)).toEqual(['b', 'a']);
    expect(snapshot.popularByCategory.get('Garden > Tools')?.map((i) => i.sku)).toEqual(['a']);
    expect(snapshot.items.get('a')?.category).toBe('Garden > Tools');
    expect(snapshot.items.get('a')?.features['known']).toBe(1);
  });

  it('decodes the key parts the feature store encodes', () => {
    for (const sku of ['plain', 'with{brace}', '100%', '%7B']) expect(decodeKeyPart(keyPart(sku))).toBe(sku);
  });
});
