import { userFeatureVector, userItemFeatures, type UserFeatureView } from '@storeloop/feature-store';
import type { CatalogItem, CatalogSnapshot } from '../catalog/item-catalog';
import type { MlpScorer } from '../serving/mlp-scorer';

/**
 * Where each scorer input comes from. The training service names its columns
 * `u.<user feature>` (the pair's `x.` cross features included) and
 * `i.<item feature>` (libs/ml scorerColumns); a name this build does not
 * produce stays 0, exactly as in training.
 */
export interface ScorerLayout {
  userColumns: { column: number; name: string }[];
  crossColumns: { column: number; name: string }[];
  itemColumns: { column: number; name: string }[];
}

export function scorerLayout(featureNames: readonly string[]): ScorerLayout {
  const layout: ScorerLayout = { userColumns: [], crossColumns: [], itemColumns: [] };
  featureNames.forEach((name, column) => {
    if (name.startsWith('u.x.')) layout.crossColumns.push({ column, name: name.slice(2) });
    else if (name.startsWith('u.')) layout.userColumns.push({ column, name: name.slice(2) });
    else if (name.startsWith('i.')) layout.itemColumns.push({ column, name: name.slice(2) });
  });
  return layout;
}

/**
 * Scores one user's candidates with the scorer's first layer split in three
 * (MlpScorer.scoreFactored): the user's share once per request, each item's
 * share once per (model, catalogue generation) and cached, and the few
 * user × item cross features per row.
 */
export class ScorerRows {
  readonly layout: ScorerLayout;
  /** Per tenant (a SKU names different items in different tenants): the catalogue generation and its item shares. */
  private readonly itemShares = new Map<string, { generation: number; shares: Map<string, Float64Array> }>();
  private cross = new Float64Array(0);
  private readonly userColumns: number[];
  private readonly itemColumns: number[];
  private readonly crossColumns: number[];

  constructor(readonly scorer: MlpScorer) {
    this.layout = scorerLayout(scorer.featureNames);
    this.userColumns = this.layout.userColumns.map((c) => c.column);
    this.itemColumns = this.layout.itemColumns.map((c) => c.column);
    this.crossColumns = this.layout.crossColumns.map((c) => c.column);
  }

  /** Calibrated scores of `items` for `user`, in the items' order. */
  score(user: UserFeatureView, items: readonly CatalogItem[], catalog: CatalogSnapshot, emptyItem: (sku: string) => CatalogItem): Float64Array {
    let cache = this.itemShares.get(catalog.tenant);
    if (!cache || cache.generation !== catalog.generation) {
      cache = { generation: catalog.generation, shares: new Map() };
      this.itemShares.set(catalog.tenant, cache);
    }
    const tenantShares = cache.shares;
    const userVector = userFeatureVector(user);
    const shared = this.scorer.firstLayerShare(
      this.userColumns,
      this.layout.userColumns.map(({ name }) => userVector[name] ?? 0),
    );
    const crossNames = this.layout.crossColumns;
    const m = crossNames.length;
    if (this.cross.length < items.length * m) this.cross = new Float64Array(Math.max(items.length, 64) * m);
    const shares = items.map((item, r) => {
      if (m > 0) {
        const cross = userItemFeatures(user, (item.view.known ? item : emptyItem(item.sku)).view, item.sku);
        for (let k = 0; k < m; k += 1) this.cross[r * m + k] = cross[crossNames[k].name] ?? 0;
      }
      let share = tenantShares.get(item.sku);
      if (!share) {
        share = this.scorer.firstLayerShare(
          this.itemColumns,
          this.layout.itemColumns.map(({ name }) => item.features[name] ?? 0),
        );
        tenantShares.set(item.sku, share);
      }
      return share;
    });
    return this.scorer.scoreFactored(shared, shares, this.crossColumns, this.cross, items.length);
  }
}
