import {
  itemFeatureVector,
  readItemViews,
  readUserViews,
  userFeatureVector,
  userItemFeatures,
  type ItemFeatureView,
  type RedisClient,
  type UserFeatureView,
} from '@storeloop/feature-store';
import {
  SCORER_KIND,
  auc,
  initTfBackend,
  logLoss,
  mulberry32,
  predictPropensity,
  scorerArtifactFiles,
  scorerColumns,
  scorerRow,
  segmentUsers,
  trainPropensityMlp,
  trainRecommender,
  type BinaryLabel,
  type NewArtifact,
  type Random,
  type SegmentProfile,
} from '@storeloop/ml';
import { TENANT, type Shop } from './shop';

export const MODEL_NAME = 'ranker';
export const SEGMENTS = 3;

export interface BuiltVersion {
  artifact: NewArtifact;
  /** What `segments.json` holds, for comparing the segment endpoint's answer. */
  profiles: SegmentProfile[];
  /** The user ids segmented, in the order of their assignment; index i has segment `assignments[i]`. */
  assignments: { userId: string; segment: number }[];
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function shuffled<T>(values: readonly T[], random: Random): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * A (user, item) example as the features service emits it: the user's
 * features with the pair's `x.` cross features, and the item's features,
 * read from the feature store now (libs/ml scorer columns `u.`/`i.`).
 */
function example(user: UserFeatureView, item: ItemFeatureView): { user: Record<string, number>; item: Record<string, number> } {
  return { user: { ...userFeatureVector(user), ...userItemFeatures(user, item) }, item: itemFeatureVector(item) };
}

/**
 * Builds a complete model version from the seeded feature store, the way
 * the training service's loop does (services/training/src/training/training-loop.ts):
 * ELSA item embeddings from the shoppers' interactions, the propensity MLP
 * scorer over `u.`/`i.` columns (label: the item is in the shopper's home
 * category, a concept the cross features carry), RFM segments, and the
 * metadata a stored version carries. `seed` makes two versions differ.
 */
export async function buildVersion(redis: RedisClient, shop: Shop, options: { version: string; seed: number; createdAt: Date; parentVersion?: string | null }): Promise<BuiltVersion> {
  // wasm as the training service prefers it without tfjs-node; quieter and faster than the cpu backend.
  const { backend } = await initTfBackend({ preferred: 'wasm' });
  const random = mulberry32(options.seed);
  const users = await readUserViews(redis, shop.shoppers.map((s) => s.userId), { tenant: TENANT });
  const items = await readItemViews(redis, shop.items.map((i) => i.sku), { tenant: TENANT });
  const itemBySku = new Map(items.map((item) => [item.sku, item]));

  const pairs = users.flatMap((user) => [...new Set(user.recentItems.map((recent) => recent.sku))].map((sku) => ({ userId: `${TENANT}/${user.userId}`, itemId: sku })));
  const recommender = trainRecommender(pairs, { family: 'elsa', elsa: { factors: 16, epochs: 5, seed: options.seed } });
  const { metadata: recommenderMetadata, weights } = recommender.toArtifact();

  const examples: { user: Record<string, number>; item: Record<string, number>; label: BinaryLabel }[] = [];
  shop.shoppers.forEach((shopper, index) => {
    const inHome = shop.items.filter((item) => item.code === shopper.home);
    const elsewhere = shop.items.filter((item) => item.code !== shopper.home);
    for (const [pool, label] of [
      [inHome, 1],
      [elsewhere, 0],
    ] as const) {
      for (const item of shuffled(pool, random).slice(0, 8)) examples.push({ ...example(users[index], itemBySku.get(item.sku)!), label });
    }
  });
  const ordered = shuffled(examples, random);
  const cut = Math.floor(ordered.length * 0.8);
  const columns = scorerColumns(ordered);
  const rows = (part: typeof ordered) => ({ rows: part.map((e) => scorerRow(columns, e.user, e.item)), labels: part.map((e) => e.label) });
  const train = rows(ordered.slice(0, cut));
  const validation = rows(ordered.slice(cut));
  const scorer = await trainPropensityMlp({ featureNames: columns, train, validation, config: { maxEpochs: 8, batchSize: 64, patience: 3, seed: options.seed } });
  let files: Record<string, Uint8Array>;
  let metrics: Record<string, number>;
  try {
    const probabilities = predictPropensity(scorer, validation.rows);
    metrics = { logLoss: logLoss(probabilities, validation.labels, 1e-7), auc: auc(probabilities, validation.labels), examples: validation.rows.length };
    files = await scorerArtifactFiles(scorer);
  } finally {
    scorer.network.dispose();
  }

  const segmentation = segmentUsers(
    users.map((user) => ({
      userId: user.userId,
      recencyDays: user.rfm.recencyDays ?? 0,
      frequency: user.rfm.frequency,
      monetary: Math.max(0, ...Object.values(user.rfm.monetary).map(Number)),
      categories: Object.fromEntries(user.categoryAffinity.map((entry) => [entry.path.join(' > '), entry.weight])),
    })),
    { k: SEGMENTS, seed: options.seed },
  );

  const artifact: NewArtifact = {
    metadata: {
      formatVersion: 1,
      modelName: MODEL_NAME,
      version: options.version,
      kind: SCORER_KIND,
      createdAt: options.createdAt.toISOString(),
      parentVersion: options.parentVersion ?? null,
      gitRevision: 'it-inference',
      backend,
      dataWindow: { from: shop.from, to: shop.to, examples: ordered.length, trainExamples: cut, holdoutExamples: ordered.length - cut, holdoutFrom: shop.to },
      metrics,
      details: { featureNames: columns, trigger: 'integration-test', seed: options.seed },
    },
    files: {
      ...files,
      'recommender.json': json(recommenderMetadata),
      'recommender.bin': new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength),
      'segments.json': json({
        k: segmentation.k,
        featureNames: segmentation.featureNames,
        standardizer: segmentation.standardizer,
        centroids: segmentation.centroids,
        profiles: segmentation.profiles,
      }),
    },
  };
  return { artifact, profiles: segmentation.profiles, assignments: segmentation.assignments.map(({ userId, segment }) => ({ userId, segment })) };
}
