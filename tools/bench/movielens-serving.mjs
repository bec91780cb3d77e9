// What `npm run bench -- inference` serves from: MovieLens-100K replayed into
// the online feature store and a champion model trained on it, prepared once
// and cached under .local/bench/inference/<key> (key: a hash of the dataset
// files' bytes and of every setting below).
//
//   features  every rating is a product view at its timestamp, a rating >= 4
//             also an order of that film; catalogue upserts for the 1,682
//             films (category Movies > first genre, a price by release year)
//             and stock counts at two stores (some films out of stock at
//             one). Times are shifted so the newest rating lands at the
//             preparation time: serving reads features as of the wall clock,
//             and 1998 activity would have decayed to nothing. Applied with
//             libs/feature-store `applyEventBatch` under their own Redis key
//             prefix. Each user's last `heldOut` positive ratings are left
//             out of the replay: they are the scorer's positives.
//   model     in a filesystem artifact store, model `ranker`, one version
//             laid out as the training service writes it: ELSA item
//             embeddings (recommender.json + recommender.bin) trained on
//             every replayed rating, and the MLP scorer (model.json +
//             weights.bin) trained on (user, held-out film) positives and
//             (user, random unrated film) negatives with features read back
//             from Redis; the champion pointer names the version.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cents, hash } from './events.mjs';
import { REDIS_URL, deleteRedisKeys, log, require, root, round } from './lib.mjs';

/** Bump when what is prepared changes meaning (events, rows, files): old caches are then ignored. */
export const PREP_FORMAT = 1;
export const TENANT = 'default';
export const STORES = ['ml-store-1', 'ml-store-2'];
const DAY_MS = 86_400_000;
const APPLY_BATCH = 1000;
const OFFSET_NAMESPACE = 'bench-inference-prep';
const EVENTS_TOPIC = 'retail.events.v1';
/** Where the preparation notes which cache key the Redis data belongs to (under the bench's key prefix). */
const MARKER_KEY = '{bench-prep}:marker';

export const PREP_DEFAULTS = {
  redisPrefix: 'bench-inf:',
  modelName: 'ranker',
  factors: 64,
  epochs: 10,
  seed: 42,
  heldOut: 2,
  negatives: 4,
};

export const userIdOf = (movielensUser) => `ml-user-${movielensUser}`;
export const skuOf = (movielensItem) => `ML-${String(movielensItem).padStart(5, '0')}`;


/** DVD-style list price by release year, with a little spread per film. */
function priceOf(item) {
  const base = item.year === null ? 799 : item.year >= 1997 ? 1999 : item.year >= 1990 ? 1499 : item.year >= 1970 ? 999 : 799;
  return { amount: cents(base + (hash(item.id) % 5) * 100), currency: 'USD' };
}

/** Units on hand of a film at a store: 0 for about one film in eight per store, else 1-24. */
export function stockOf(sku, store) {
  const h = hash(`${sku}@${store}`);
  return h % 8 === 0 ? 0 : 1 + (h % 24);
}

function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Splits each user's ratings (time order) into the replayed part and the
 * last `heldOut` positives (rating >= 4), kept only for users with at least
 * `heldOut + 3` positives so every user keeps some positive history.
 */
export function holdOutLastPositives(ratings, heldOut) {
  const byUser = new Map();
  for (const r of ratings) (byUser.get(r.userId) ?? byUser.set(r.userId, []).get(r.userId)).push(r);
  const replayed = [];
  const heldOutByUser = new Map();
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.timestamp - b.timestamp || Number(a.itemId) - Number(b.itemId));
    const positives = list.filter((r) => r.rating >= 4);
    const held = heldOut > 0 && positives.length >= heldOut + 3 ? new Set(positives.slice(-heldOut)) : new Set();
    if (held.size > 0) heldOutByUser.set(user, [...held]);
    for (const r of list) if (!held.has(r)) replayed.push(r);
  }
  replayed.sort((a, b) => a.timestamp - b.timestamp || Number(a.userId) - Number(b.userId) || Number(a.itemId) - Number(b.itemId));
  return { replayed, heldOutByUser };
}

/**
 * The events of the replay, in time order, as company systems would send
 * them (CloudEvents input form, without ids): catalogue first, then the
 * clickstream shifted by `shiftMs`, then the stock counts.
 */
export function servingEvents(EventType, { items, replayed, shiftMs, endMs }) {
  const event = (type, source, timeMs, data, extra = {}) => ({ specversion: '1.0', source, type, time: new Date(timeMs).toISOString(), tenant: TENANT, ...extra, data });
  const startMs = replayed.length ? replayed[0].timestamp * 1000 + shiftMs : endMs;
  const prices = new Map(items.map((item) => [item.id, priceOf(item)]));
  const out = [];
  for (const item of items) {
    out.push(
      event(EventType.CatalogItemUpserted, '/pim', startMs - DAY_MS, {
        sku: skuOf(item.id),
        title: item.title,
        categoryPath: ['Movies', item.genres[0] ?? 'unknown'],
        price: prices.get(item.id),
        attributes: { releaseYear: item.year ?? 0, genres: item.genres.join(' ') },
      }),
    );
  }
  for (const r of replayed) {
    const ms = r.timestamp * 1000 + shiftMs;
    const sku = skuOf(r.itemId);
    const shopper = { userId: userIdOf(r.userId), sessionId: `ml-s-${r.userId}-${Math.floor(ms / DAY_MS)}`, channel: 'web' };
    out.push(event(EventType.ProductViewed, '/web-shop', ms, { ...shopper, sku }, { subject: sku }));
    if (r.rating >= 4) {
      const unitPrice = prices.get(r.itemId) ?? { amount: '9.99', currency: 'USD' };
      out.push(event(EventType.OrderPlaced, '/web-shop', ms + 60_000, { ...shopper, orderId: `ml-o-${r.userId}-${r.itemId}`, items: [{ sku, quantity: 1, unitPrice }] }));
    }
  }
  const countedAt = new Date(endMs - 60_000).toISOString();
  for (const store of STORES) {
    for (const item of items) {
      const sku = skuOf(item.id);
      out.push(event(EventType.InventorySnapshotTaken, '/wms', endMs, { sku, store, onHand: stockOf(sku, store), onOrder: 0, asOf: countedAt }, { subject: `${sku}@${store}` }));
    }
  }
  return out;
}

/** Replays the events into Redis (one partition, offsets in order, as a consumer of one partition would). */
async function replay(redis, events) {
  const { parseEvent } = require('@storeloop/contracts');
  const { applyEventBatch } = require('@storeloop/feature-store');
  const started = Date.now();
  let applied = 0;
  for (let from = 0; from < events.length; from += APPLY_BATCH) {
    const batch = [];
    for (let i = from; i < Math.min(events.length, from + APPLY_BATCH); i++) {
      const parsed = parseEvent({ ...events[i], id: `bench-inf-${i}` });
      if (!parsed.ok) throw new Error(`prepared event ${i} (${events[i].type}) is invalid: ${JSON.stringify(parsed.issues)}`);
      batch.push({ event: parsed.event, topic: EVENTS_TOPIC, partition: 0, offset: String(i) });
    }
    applied += (await applyEventBatch(redis, batch, { offsetNamespace: OFFSET_NAMESPACE })).applied;
    if (from > 0 && from % 50_000 === 0) log(`prep: ${from.toLocaleString('en-US')}/${events.length.toLocaleString('en-US')} events applied`);
  }
  const seconds = (Date.now() - started) / 1000;
  return { events: events.length, entityEffects: applied, seconds: round(seconds, 1), eventsPerSec: round(events.length / seconds, 0) };
}

/** Fisher-Yates with a seeded generator. */
function shuffled(list, random) {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Scorer examples, with the features serving would see: for each user with
 * held-out films, one positive per held-out film and `negatives` random
 * films the user never rated, each a (user + pair features, item features)
 * pair as the features service writes training examples.
 */
async function scorerExamples(redis, { heldOutByUser, ratedByUser, items, negatives, asOf, random }) {
  const { readUserViews, readItemViews, userFeatureVector, userItemFeatures, itemFeatureVector } = require('@storeloop/feature-store');
  const skus = items.map((item) => skuOf(item.id));
  const itemViews = new Map((await readItemViews(redis, skus, { asOf, tenant: TENANT })).map((view) => [view.sku, view]));
  const itemVectors = new Map([...itemViews].map(([sku, view]) => [sku, itemFeatureVector(view)]));
  const users = [...heldOutByUser.keys()];
  const examples = [];
  for (let from = 0; from < users.length; from += 100) {
    const chunk = users.slice(from, from + 100);
    const views = await readUserViews(redis, chunk.map(userIdOf), { asOf, tenant: TENANT });
    chunk.forEach((user, index) => {
      const view = views[index];
      const userVector = userFeatureVector(view);
      const pair = (sku, label) => examples.push({ user, sku, label, features: { user: { ...userVector, ...userItemFeatures(view, itemViews.get(sku), sku) }, item: itemVectors.get(sku) } });
      const rated = ratedByUser.get(user);
      for (const r of heldOutByUser.get(user)) {
        pair(skuOf(r.itemId), 1);
        for (let n = 0; n < negatives; ) {
          const candidate = items[Math.floor(random() * items.length)].id;
          if (rated.has(candidate)) continue;
          pair(skuOf(candidate), 0);
          n++;
        }
      }
    });
  }
  return examples;
}

/** The MLP scorer on a 70/15/15 split by user (train, validation for early stopping and calibration, holdout). */
async function trainScorer(examples, { seed, random }) {
  const ml = require('@storeloop/ml');
  const columns = ml.scorerColumns(examples.map((e) => e.features));
  const users = shuffled([...new Set(examples.map((e) => e.user))], random);
  const part = new Map(users.map((user, i) => [user, i < users.length * 0.7 ? 'train' : i < users.length * 0.85 ? 'validation' : 'holdout']));
  const sets = { train: { rows: [], labels: [] }, validation: { rows: [], labels: [] }, holdout: { rows: [], labels: [] } };
  for (const e of examples) {
    const set = sets[part.get(e.user)];
    set.rows.push(ml.scorerRow(columns, e.features.user, e.features.item));
    set.labels.push(e.label);
  }
  const started = Date.now();
  const model = await ml.trainPropensityMlp({ featureNames: columns, train: sets.train, validation: sets.validation, config: { seed, maxEpochs: 40, patience: 5 } });
  const probs = ml.predictPropensity(model, sets.holdout.rows);
  const metrics = {
    auc: ml.auc(probs, sets.holdout.labels),
    logLoss: ml.logLoss(probs, sets.holdout.labels, 1e-7),
    calibrationError: ml.expectedCalibrationError(probs, sets.holdout.labels),
    examples: sets.holdout.labels.length,
    positiveRate: sets.holdout.labels.reduce((s, y) => s + y, 0) / sets.holdout.labels.length,
  };
  return { model, columns, sets, metrics, seconds: (Date.now() - started) / 1000 };
}

/** HR@10 of the embeddings on the held-out films: one of them in the top 10 of the replayed history (history excluded). */
function hitRate(recommender, replayedByUser, heldOutByUser, k = 10) {
  let hits = 0;
  for (const [user, held] of heldOutByUser) {
    const top = new Set(recommender.recommend(replayedByUser.get(user) ?? [], k).map((s) => s.itemId));
    if (held.some((r) => top.has(skuOf(r.itemId)))) hits++;
  }
  return hits / heldOutByUser.size;
}

/** Reads the version back as the inference service would: scorer and embeddings load, and the scorer predicts what it predicted in memory. */
async function verifyArtifact(store, modelName, version, { model, sets }) {
  const ml = require('@storeloop/ml');
  const stored = await store.get(modelName, version);
  if (!stored) throw new Error(`${modelName}/${version} is not in the store after put`);
  const pointer = await store.readChampion(modelName);
  if (pointer?.version !== version) throw new Error(`the champion pointer of ${modelName} names ${pointer?.version}, not ${version}`);
  const scorer = await ml.loadScorerArtifact(stored.files);
  const metadata = JSON.parse(new TextDecoder().decode(stored.files.get('recommender.json')));
  const bin = stored.files.get('recommender.bin');
  const weights = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const elsa = ml.ElsaRecommender.fromArtifact({ metadata, weights });
  const rows = sets.holdout.rows.slice(0, 32);
  const before = ml.predictPropensity(model, rows);
  const after = ml.predictPropensity(scorer, rows);
  const maxDiff = Math.max(...before.map((p, i) => Math.abs(p - after[i])));
  scorer.network.dispose();
  if (!(maxDiff < 1e-5)) throw new Error(`the stored scorer predicts differently from the trained one (max |diff| ${maxDiff})`);
  return { items: elsa.itemIds.length, dim: elsa.factors, scorerColumns: scorer.featureNames.length, maxPredictionDiff: maxDiff };
}

/** Changes with the dataset's bytes, the settings, and the feature layout the store is written in. */
function cacheKeyOf(files, options) {
  const { FEATURE_VECTOR_VERSION } = require('@storeloop/feature-store');
  const inputs = { format: PREP_FORMAT, featureVectorVersion: FEATURE_VECTOR_VERSION, files, ...options };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/**
 * Prepares (or finds cached) the feature store and the model store the
 * inference bench serves from. Returns the manifest: store path, model,
 * user ids, stores, what was measured while preparing.
 */
export async function prepareServing(options = {}) {
  const settings = { ...PREP_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([k, v]) => k in PREP_DEFAULTS && v !== undefined)) };
  const { dataFile, loadMovieLensInteractions, loadMovieLensItems } = require('@storeloop/testing/dist/datasets');
  const interFile = dataFile('movielens-100k', 'ml-100k.inter', options.dataDir);
  const itemFile = dataFile('movielens-100k', 'ml-100k.item', options.dataDir);
  const key = cacheKeyOf({ inter: sha256File(interFile), item: sha256File(itemFile) }, settings);
  const dir = join(root, '.local/bench/inference', key);
  const manifestFile = join(dir, 'prepared.json');
  const storeDir = join(dir, 'store');

  const { createRedis, loadRedisSettings } = require('@storeloop/feature-store');
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const redis = createRedis(loadRedisSettings({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: settings.redisPrefix }), 'storeloop-bench-inference-prep');
  await redis.connect();
  try {
    if (!options.refresh && existsSync(manifestFile)) {
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      const marker = await redis.get(MARKER_KEY);
      const { FilesystemArtifactStore } = require('@storeloop/ml');
      const champion = await new FilesystemArtifactStore(storeDir).readChampion(settings.modelName).catch(() => null);
      if (marker === key && champion?.version === manifest.model.version) {
        log(`prep: cached (${relative(root, dir)}; Redis prefix ${settings.redisPrefix}, prepared ${manifest.preparedAt})`);
        return { ...manifest, cached: true };
      }
      log(`prep: cache ${relative(root, dir)} is stale (${marker === key ? 'store' : 'Redis data'} missing or changed); preparing again`);
    }
    const manifest = await prepare(redis, { settings, key, dir, storeDir, dataDir: options.dataDir, redisUrl, loaders: { loadMovieLensInteractions, loadMovieLensItems }, files: { interFile, itemFile } });
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    await redis.set(MARKER_KEY, key);
    return { ...manifest, cached: false };
  } finally {
    redis.disconnect();
  }
}

async function prepare(redis, { settings, key, dir, storeDir, dataDir, redisUrl, loaders, files }) {
  const ml = require('@storeloop/ml');
  const { EventType } = require('@storeloop/contracts');
  const timings = {};
  const timed = async (name, fn) => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = round((Date.now() - started) / 1000, 1);
    }
  };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const backend = await ml.initTfBackend({ logger: { info: (m) => log(`prep: ${m}`) } });
  const [ratings, items] = await Promise.all([loaders.loadMovieLensInteractions(dataDir), loaders.loadMovieLensItems(dataDir)]);
  const { replayed, heldOutByUser } = holdOutLastPositives(ratings, settings.heldOut);
  const preparedAt = new Date();
  const endMs = Math.floor(preparedAt.getTime() / 60_000) * 60_000;
  const lastRatingMs = Math.max(...ratings.map((r) => r.timestamp)) * 1000;
  const shiftMs = endMs - 60 * 60_000 - lastRatingMs;
  const events = servingEvents(EventType, { items, replayed, shiftMs, endMs });

  const wiped = await deleteRedisKeys(redisUrl, settings.redisPrefix);
  log(`prep: replaying ${events.length.toLocaleString('en-US')} events (${replayed.length.toLocaleString('en-US')} ratings, ${items.length} films, ${STORES.length} stores) into Redis under ${settings.redisPrefix} (${wiped} old keys deleted)`);
  const replayStats = await timed('replay', () => replay(redis, events));
  log(`prep: replayed in ${replayStats.seconds} s (${replayStats.eventsPerSec.toLocaleString('en-US')} events/s)`);

  const ratedByUser = new Map();
  for (const r of ratings) (ratedByUser.get(r.userId) ?? ratedByUser.set(r.userId, new Set()).get(r.userId)).add(r.itemId);
  const random = ml.mulberry32(settings.seed);
  const examples = await timed('examples', () => scorerExamples(redis, { heldOutByUser, ratedByUser, items, negatives: settings.negatives, asOf: endMs, random }));
  log(`prep: ${examples.length.toLocaleString('en-US')} scorer examples from ${heldOutByUser.size} users; training the MLP scorer (${backend.backend})`);
  const scorer = await timed('scorer', () => trainScorer(examples, { seed: settings.seed, random }));
  log(`prep: scorer holdout AUC ${scorer.metrics.auc.toFixed(3)}, log loss ${scorer.metrics.logLoss.toFixed(3)} (${scorer.model.training.epochs} epochs)`);

  const replayedByUser = new Map();
  for (const r of replayed) (replayedByUser.get(userIdOf(r.userId)) ?? replayedByUser.set(userIdOf(r.userId), []).get(userIdOf(r.userId))).push(skuOf(r.itemId));
  const pairs = replayed.map((r) => ({ userId: `${TENANT}/${userIdOf(r.userId)}`, itemId: skuOf(r.itemId) }));
  log(`prep: training ELSA item embeddings (${settings.factors} factors, ${settings.epochs} epochs) on ${pairs.length.toLocaleString('en-US')} ratings`);
  const recommender = await timed('embeddings', () => ml.trainRecommender(pairs, { family: 'elsa', elsa: { factors: settings.factors, epochs: settings.epochs, seed: settings.seed } }));
  const heldOutByServedUser = new Map([...heldOutByUser].map(([user, held]) => [userIdOf(user), held]));
  const hr10 = hitRate(recommender, replayedByUser, heldOutByServedUser);
  log(`prep: embeddings of ${recommender.itemIds.length} films, HR@10 on the held-out films ${hr10.toFixed(3)}`);

  const store = new ml.FilesystemArtifactStore(storeDir);
  const version = `bench-${key.slice(0, 8)}`;
  const { metadata: recMeta, weights } = recommender.toArtifact();
  const encode = (value) => new TextEncoder().encode(JSON.stringify(value));
  const times = replayed.map((r) => r.timestamp * 1000 + shiftMs);
  await store.put({
    metadata: {
      formatVersion: 1,
      modelName: settings.modelName,
      version,
      kind: ml.SCORER_KIND,
      createdAt: preparedAt.toISOString(),
      parentVersion: null,
      gitRevision: null,
      backend: backend.backend,
      dataWindow: {
        from: new Date(times[0]).toISOString(),
        to: new Date(endMs).toISOString(),
        examples: examples.length,
        trainExamples: scorer.sets.train.labels.length + scorer.sets.validation.labels.length,
        holdoutExamples: scorer.sets.holdout.labels.length,
        holdoutFrom: new Date(endMs).toISOString(),
      },
      metrics: { ...scorer.metrics, hitRate10: hr10 },
      details: {
        featureNames: scorer.columns,
        featureOrder: 'u.<user feature> then i.<item feature> names, sorted; a missing feature is 0; standardizer and calibrator in model.json',
        accelerator: backend.accelerator,
        backendPackage: `${backend.package}@${backend.version}`,
        trigger: 'bench',
        source: 'tools/bench/movielens-serving.mjs: MovieLens-100K, held-out last positives per user; holdout split by user',
        training: { epochs: scorer.model.training.epochs, bestEpoch: scorer.model.training.bestEpoch, validationLoss: scorer.model.training.bestValidationLoss },
      },
    },
    files: {
      ...(await ml.scorerArtifactFiles(scorer.model)),
      'recommender.json': encode(recMeta),
      'recommender.bin': new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength),
    },
  });
  await store.writeChampion({ modelName: settings.modelName, version, previous: [], updatedAt: preparedAt.toISOString() });
  const verified = await verifyArtifact(store, settings.modelName, version, scorer);
  scorer.model.network.dispose();
  log(`prep: stored ${settings.modelName}/${version} in ${relative(root, storeDir)} (champion); loads back: ${verified.items} items x ${verified.dim}, ${verified.scorerColumns} scorer columns`);

  return {
    key,
    format: PREP_FORMAT,
    preparedAt: preparedAt.toISOString(),
    settings,
    dataset: { inter: relative(root, files.interFile), ratings: ratings.length, replayedRatings: replayed.length, heldOutRatings: ratings.length - replayed.length, films: items.length },
    redis: { prefix: settings.redisPrefix, tenant: TENANT, stores: STORES, timeShiftDays: round(shiftMs / DAY_MS, 1), replay: replayStats },
    store: { dir: storeDir, kind: 'filesystem' },
    model: { name: settings.modelName, version, items: verified.items, dim: verified.dim, scorerColumns: verified.scorerColumns, backend: backend.backend, metrics: { ...scorer.metrics, hitRate10: hr10 } },
    users: [...new Set(ratings.map((r) => userIdOf(r.userId)))],
    timings,
  };
}
