// `npm run eval -- movielens`: our recommender against TopPop, item-kNN and
// the published Microsoft Recommenders rows on MovieLens-100K (or any RecBole
// atomic `.inter` file).
//
// Protocol (also written into the result file), as in Recommenders' README
// "Algorithm Comparison" (movielens 100k, top k = 10):
// - every rating is one implicit interaction (no rating threshold);
// - random 75/25 split stratified by user with a fixed seed
//   (libs/ml split.ts stratifiedSplitByUser: per user, shuffled, the last
//   n - floor(0.75 n) go to test);
// - models train on the train part only; for each user with test items the
//   top k is ranked over all items except those the user has in train;
// - every test item of a user is relevant; MAP divides each user's AP by
//   |relevant| (Recommenders `map`, the published "MAP" column); nDCG@10,
//   precision@10, recall@10 as in libs/ml ranking-metrics.ts.
// "ours" is libs/ml trainRecommender with family auto (EASE below
// --ease-max-items items, ELSA above); the ELSA row is the scalable model the
// same code uses for large catalogues, trained here too so its quality is known.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { ensureBuilt, log, machineInfo, require, root, round, table, writeResult } from '../bench/lib.mjs';

const RESULT_FILE = 'eval/results/movielens.json';
const DEFAULT_FILE = 'movielens-100k/ml-100k.inter';

/** Microsoft Recommenders README, "Algorithm Comparison", MovieLens 100k (as copied in ../shared/data/README.md). */
export const PUBLISHED = [
  { algorithm: 'BiVAE', map: 0.146126, ndcg10: 0.475077, precision10: 0.411771, recall10: 0.219145 },
  { algorithm: 'BPR', map: 0.132478, ndcg10: 0.441997, precision10: 0.388229, recall10: 0.212522 },
  { algorithm: 'LightGCN', map: 0.088526, ndcg10: 0.419846, precision10: 0.379626, recall10: 0.144336 },
  { algorithm: 'NCF', map: 0.10772, ndcg10: 0.396118, precision10: 0.347296, recall10: 0.180775 },
  { algorithm: 'SAR', map: 0.110591, ndcg10: 0.382461, precision10: 0.330753, recall10: 0.176385 },
];
const GOAL_NDCG = 0.48;

function integerOption(name, min = 0) {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function positiveNumber(name) {
  return (value) => {
    const n = Number(value);
    if (!(n > 0)) throw new InvalidArgumentError(`${name} must be a number > 0`);
    return n;
  };
}

export function register(program, action) {
  program
    .command('movielens')
    .description('recommender on MovieLens-100K (Microsoft Recommenders protocol): ours vs TopPop, item-kNN and the published rows')
    .option('--data-dir <dir>', 'datasets root (default: STORELOOP_DATA_DIR or ../shared/data)')
    .option('--file <path>', `RecBole .inter file, absolute or relative to the data dir`, DEFAULT_FILE)
    .option('--seed <n>', 'seed of the split and of ELSA', integerOption('--seed'), 42)
    .option('--test-fraction <f>', 'share of each user\'s interactions in test', positiveNumber('--test-fraction'), 0.25)
    .option('-k, --top-k <n>', 'list length', integerOption('--top-k', 1), 10)
    .option('--family <name>', "our model: 'auto' (EASE up to --ease-max-items, ELSA above), 'ease' or 'elsa'", 'auto')
    .option('--ease-max-items <n>', 'catalogue size up to which auto picks EASE', integerOption('--ease-max-items', 1), 4000)
    .option('--lambda <x>', 'EASE L2 regularisation', positiveNumber('--lambda'), 400)
    .option('--no-elsa', 'skip the separate ELSA (scalable model) row')
    .option('--elsa-factors <n>', 'ELSA embedding size', integerOption('--elsa-factors', 1), 256)
    .option('--elsa-epochs <n>', 'ELSA epochs', integerOption('--elsa-epochs', 1), 10)
    .option('--elsa-batch <n>', 'ELSA users per step', integerOption('--elsa-batch', 1), 64)
    .option('--knn-neighbours <n>', 'item-kNN neighbours per item', integerOption('--knn-neighbours', 1), 100)
    .option('--output <file>', 'result file, relative to the repo root', RESULT_FILE)
    .action(action(async () => runMovielens));
}

function progressBar(label, total) {
  const { SingleBar, Presets } = require('cli-progress');
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} epochs | loss {loss} | {rate} interactions/s | eta {eta}s`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 3_600_000 }, Presets.legacy);
  bar.start(total, 0, { loss: '-', rate: '-' });
  return bar;
}

/** Ranks for every test user and scores them with libs/ml's ranking metrics. */
function evaluate(ml, model, historyByUser, relevantByUser, k) {
  const perUser = new Map();
  for (const [user, relevant] of relevantByUser) {
    const ranked = model.recommend(historyByUser.get(user) ?? [], k).map((s) => s.itemId);
    perUser.set(user, { ranked, relevant });
  }
  const r = ml.evaluateRanking(perUser, k);
  return { map: round(r.map, 6), ndcg10: round(r.ndcg, 6), precision10: round(r.precision, 6), recall10: round(r.recall, 6), mapAtK: round(r.mapAtK, 6), hitRate: round(r.hitRate, 6), users: r.users };
}

function timed(fn) {
  const started = process.hrtime.bigint();
  const heapBefore = process.memoryUsage().rss;
  const value = fn();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9, rssGrowthMiB: round((process.memoryUsage().rss - heapBefore) / 2 ** 20, 1) };
}

export async function runMovielens(options) {
  const dataDir = resolve(options.dataDir ?? process.env.STORELOOP_DATA_DIR ?? join(root, '..', 'shared', 'data'));
  const file = isAbsolute(options.file) ? options.file : join(dataDir, options.file);
  if (!existsSync(file)) throw new Error(`MovieLens data not found at ${file} (pass --data-dir/--file or set STORELOOP_DATA_DIR)`);
  if (!(options.testFraction < 1)) throw new Error('--test-fraction must be below 1');
  if (!['auto', 'ease', 'elsa'].includes(options.family)) throw new Error(`--family must be auto, ease or elsa, got '${options.family}'`);
  await ensureBuilt(['ml']);
  const ml = require('./libs/ml/dist/index.js');
  const backend = await ml.initTfBackend({ logger: { info: (m) => log(m) } });
  const k = options.topK;

  const data = ml.loadInterFile(file);
  log(`${file}: ${data.interactions.length.toLocaleString('en-US')} interactions, ${data.users} users, ${data.items} items`);
  const { train, test } = ml.stratifiedSplitByUser(data.interactions, options.testFraction, options.seed);
  const matrix = ml.buildImplicitMatrix(train);
  const historyByUser = new Map();
  for (const { userId, itemId } of train) {
    const items = historyByUser.get(userId);
    if (items) items.push(itemId);
    else historyByUser.set(userId, [itemId]);
  }
  const relevantByUser = new Map();
  for (const { userId, itemId } of test) {
    const items = relevantByUser.get(userId);
    if (items) items.add(itemId);
    else relevantByUser.set(userId, new Set([itemId]));
  }
  log(`split (seed ${options.seed}): ${train.length} train, ${test.length} test interactions; ${matrix.itemIds.length} items in train; ${relevantByUser.size} test users`);

  const rows = {};
  const run = (name, fit, extra = {}) => {
    log(`training ${name}`);
    const { value: model, seconds, rssGrowthMiB } = timed(fit);
    const metrics = evaluate(ml, model, historyByUser, relevantByUser, k);
    rows[name] = { ...metrics, trainSeconds: round(seconds, 2), samplesPerSec: round((matrix.nnz * Number(model.training.epochsRun ?? 1)) / seconds, 0), rssGrowthMiB, ...extra, model };
    log(`${name}: nDCG@${k} ${metrics.ndcg10}, MAP ${metrics.map}, ${seconds.toFixed(1)} s`);
  };

  const elsaOptions = (bar) => ({
    factors: options.elsaFactors,
    epochs: options.elsaEpochs,
    batchSize: options.elsaBatch,
    seed: options.seed,
    onEpoch: (e) => {
      bar.update(e.epoch, { loss: e.loss.toFixed(4), rate: Math.round(e.samplesPerSec).toLocaleString('en-US') });
      bar.render(); // training is synchronous: the bar's own timer cannot fire until it ends
    },
  });
  const withBar = (label, epochs, fn) => () => {
    const bar = progressBar(label, epochs);
    try {
      return fn(bar);
    } finally {
      bar.stop();
    }
  };
  const oursFamily = options.family === 'auto' ? (matrix.itemIds.length <= options.easeMaxItems ? 'ease' : 'elsa') : options.family;
  run(
    'ours',
    oursFamily === 'elsa'
      ? withBar('ours (ELSA)', options.elsaEpochs, (bar) => ml.trainRecommender(matrix, { family: options.family, easeMaxItems: options.easeMaxItems, elsa: elsaOptions(bar) }))
      : () => ml.trainRecommender(matrix, { family: options.family, easeMaxItems: options.easeMaxItems, ease: { lambda: options.lambda } }),
  );
  if (options.elsa && oursFamily !== 'elsa') {
    run('elsa', withBar('ELSA', options.elsaEpochs, (bar) => ml.trainRecommender(matrix, { family: 'elsa', elsa: elsaOptions(bar) })));
  }
  run('topPop', () => ml.fitTopPop(matrix));
  run('itemKnn', () => ml.fitItemKnn(matrix, { neighbours: options.knnNeighbours }));

  const ours = rows.ours;
  const printable = [
    ['algorithm', 'MAP', `nDCG@${k}`, `Precision@${k}`, `Recall@${k}`, 'train s', 'source'],
    ...Object.entries(rows).map(([name, r]) => [name === 'ours' ? `ours (${r.model.family})` : name, r.map.toFixed(6), r.ndcg10.toFixed(6), r.precision10.toFixed(6), r.recall10.toFixed(6), r.trainSeconds.toFixed(1), `measured, seed ${options.seed}, ${backend.backend}`]),
    ...(k === 10 ? PUBLISHED.map((p) => [p.algorithm, p.map.toFixed(6), p.ndcg10.toFixed(6), p.precision10.toFixed(6), p.recall10.toFixed(6), '', 'published (Recommenders README)']) : []),
  ];
  printable.splice(1, printable.length - 1, ...printable.slice(1).sort((a, b) => Number(b[2]) - Number(a[2])));
  process.stdout.write(`\n${table(printable)}\n\n`);
  const goalMet = ours.ndcg10 >= GOAL_NDCG && ours.trainSeconds < 600;
  log(`goal nDCG@10 >= ${GOAL_NDCG} trained in < 600 s: ${goalMet ? 'met' : 'NOT met'} (${ours.ndcg10} in ${ours.trainSeconds} s)`);

  const strip = ({ model, ...r }) => ({ ...r, family: model.family, hyperparameters: model.hyperparameters });
  const result = {
    ours: strip(ours),
    trainSeconds: ours.trainSeconds,
    samplesPerSec: ours.samplesPerSec,
    samplesPerSecUnit: 'training interactions (distinct user-item pairs) x epochs per second of training; EASE is one pass',
    goal: { ndcg10: GOAL_NDCG, maxTrainSeconds: 600, met: goalMet },
    baselines: Object.fromEntries(Object.entries(rows).filter(([n]) => n !== 'ours').map(([n, r]) => [n, strip(r)])),
    published: k === 10 ? PUBLISHED : [],
    protocol: {
      source: 'Microsoft Recommenders README "Algorithm Comparison" (MovieLens 100k)',
      split: `random stratified by user (stratifiedSplitByUser), test fraction ${options.testFraction}`,
      topK: k,
      excludeTrainItems: true,
      relevance: 'every test interaction of the user',
      map: 'average precision at k divided by |relevant| (Recommenders map)',
      users: ours.users,
      trainInteractions: train.length,
      testInteractions: test.length,
    },
    seed: options.seed,
    backend,
    dataset: { path: file, sha256: data.sha256, interactions: data.interactions.length, users: data.users, items: data.items },
    date: new Date().toISOString(),
    machine: await machineInfo(),
    note: 'shared 2-core machine: timings include contention from other processes',
  };
  log(`wrote ${writeResult(options.output, result)}`);
  return 0;
}
