// `npm run eval -- replenishment`: learned order policies (libs/supply-chain) held
// against problems with a known optimum and against real demand.
//
// Protocol (also written into the result file):
// - B1, lost sales (Zipkin 2008): Poisson(5) demand, holding 1, penalty p in {4,9,19,39},
//   lead time L in {1,2,3,4}; optimal costs are Zipkin's published values. Base-stock and
//   capped base-stock (Xin 2021) are tuned by search on a common-random-numbers path
//   (--search-periods, seed --seed + 1); the learned policy is rollout policy iteration
//   (libs/supply-chain rl/api.ts) around the tuned capped base-stock, selected on the same
//   path. Every policy is then evaluated on one fresh path of --eval-periods periods
//   (seed --seed + 2, warm-up 1000) with batch-means standard errors.
// - B2, serial system (Snyder & Shen Example 6.1): optimal echelon base-stock computed
//   exactly (Chen-Zheng recursion), simulated for --eval-periods; the learned policy is PPO
//   corrections to it, selected on CRN.
// - B3, real demand: M5 layout in <data-dir>/<--m5> (or <data-dir> itself when it holds
//   sales_wide.csv); lead time 2 days, holding 25%/365 and lost-sale penalty 30% of the sell
//   price; fit on days 1..--train-days, test on the remaining days. Baseline: forecast
//   base-stock (rolling mean/std window and safety factor tuned on training days).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { ensureBuilt, log, require, root, round, table, writeResult } from '../bench/lib.mjs';

const RESULT_FILE = 'eval/results/replenishment.json';
const PS = [4, 9, 19, 39];
const LS = [1, 2, 3, 4];

function integerOption(name, min = 0) {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

/** `--instances 4x1,39x4` (p x L) or `all`. */
function instancesOption(value) {
  if (value === 'all') return PS.flatMap((p) => LS.map((L) => ({ p, L })));
  return value.split(',').map((pair) => {
    const [p, L] = pair.split('x').map(Number);
    if (!PS.includes(p) || !LS.includes(L)) throw new InvalidArgumentError(`--instances: '${pair}' is not p x L with p in {${PS}} and L in {${LS}}`);
    return { p, L };
  });
}

export function register(program, action) {
  program
    .command('replenishment')
    .description('learned order policies vs known optima (B1 lost sales, B2 serial) and real demand (B3, M5 layout)')
    .option('--data-dir <dir>', 'datasets root (default: STORELOOP_DATA_DIR or ../shared/data), or an M5-layout directory')
    .option('--m5 <name>', 'M5-layout directory under --data-dir', 'm5-tiny')
    .option('--seed <n>', 'seed of every demand path, rollout and network', integerOption('--seed'), 7)
    .option('--instances <list>', "B1 instances as p x L, e.g. '4x1,39x4', or 'all'", instancesOption)
    .option('--quick', 'a smoke run: 3 B1 instances, short training and evaluation paths, B3 on 60 series')
    .option('--eval-periods <n>', 'periods of the final evaluation path (B1, B2)', integerOption('--eval-periods', 10_000))
    .option('--search-periods <n>', 'periods of the CRN path for tuning and selection', integerOption('--search-periods', 10_000))
    .option('--train-days <n>', 'B3 training days (the rest are test days)', integerOption('--train-days', 60), 1548)
    .option('--series <n>', 'B3: use only the first n series', integerOption('--series', 1))
    .option('--skip <parts>', "comma-separated parts to skip: b1, b2, b3", '')
    .option('--artifacts-dir <dir>', 'where learned policies are saved (metadata .json + weights .bin)', '.local/artifacts/replenishment')
    .option('--output <file>', 'result file, relative to the repo root', RESULT_FILE)
    .action(action(async () => runReplenishment));
}

/** Zipkin (2008) optimal average costs, lost sales, Poisson(5), h = 1. */
const ZIPKIN_OPTIMAL = {
  4: [4.04, 4.4, 4.6, 4.73],
  9: [5.44, 6.09, 6.53, 6.84],
  19: [6.68, 7.66, 8.36, 8.89],
  39: [7.84, 9.11, 10.04, 10.79],
};
const SNYDER_SHEN = { leadTimes: [1, 1, 2], holdingCosts: [7, 4, 2], stockoutCost: 37.12, mean: 5, levels: [9, 15, 26], cost: 72.04 };

const gap = (cost, optimal) => round((100 * (cost - optimal)) / optimal, 2);

function saveArtifact(sc, dir, name, policy, training) {
  const { metadata, weights } = sc.serializePolicy(policy, training);
  const base = join(root, dir);
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, `${name}.json`), `${JSON.stringify(metadata, null, 2)}\n`);
  writeFileSync(join(base, `${name}.bin`), Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength));
  return `${dir}/${name}`;
}

async function runB1(sc, options) {
  const instances = options.instances ?? (options.quick ? instancesOption('4x1,9x2,39x4') : instancesOption('all'));
  const searchPeriods = options.searchPeriods ?? (options.quick ? 50_000 : 200_000);
  const evalPeriods = options.evalPeriods ?? (options.quick ? 200_000 : 1_000_000);
  const api = options.quick ? { rollouts: [{ states: 5_000, repetitions: 8, horizon: 25 }], epochs: 20 } : {};
  const demand = sc.poissonDemand(5);
  const evaluation = sc.demandPath(demand, evalPeriods, options.seed + 2);
  const rows = [];
  for (const { p, L } of instances) {
    const optimal = ZIPKIN_OPTIMAL[p][L - 1];
    const config = { leadTime: L, holdingCost: 1, penaltyCost: p, lostSales: true };
    const search = sc.demandPath(demand, searchPeriods, options.seed + 1);
    const cost = sc.simulatedCost(config, search);
    const bs = sc.searchBaseStock(cost, demand.mean * (L + 1));
    const cbs = sc.searchCappedBaseStock(cost, demand.mean, bs.policy.level);
    const started = Date.now();
    const learned = await sc.trainStationaryPolicy(config, demand, {
      seed: options.seed * 1000 + p * 10 + L,
      classical: cbs.policy,
      budget: { selectionPeriods: searchPeriods },
      api,
      log: (m) => log(`B1 p=${p} L=${L} ${m}`),
    });
    const trainSeconds = (Date.now() - started) / 1000;
    const [b, c, l] = [bs.policy, cbs.policy, learned.policy].map((policy) => sc.simulateSingleStage(config, policy, evaluation, { warmup: 1000 }));
    const artifact = saveArtifact(sc, options.artifactsDir, `b1-p${p}-L${L}`, learned.policy, { ...learned.training, p, L, seed: options.seed });
    const row = {
      p,
      L,
      optimal,
      learned: round(l.averageCost, 4),
      baseStock: round(b.averageCost, 4),
      cappedBaseStock: round(c.averageCost, 4),
      trainSeconds: round(trainSeconds, 1),
      gaps: { learned: gap(l.averageCost, optimal), baseStock: gap(b.averageCost, optimal), cappedBaseStock: gap(c.averageCost, optimal) },
      standardErrors: { learned: round(l.standardError, 4), baseStock: round(b.standardError, 4), cappedBaseStock: round(c.standardError, 4) },
      policies: { baseStock: bs.policy.version, cappedBaseStock: cbs.policy.version, learned: learned.policy.version },
      learnedSelection: { initialCost: round(learned.training.initialCost, 4), bestCost: round(learned.training.bestCost, 4), bestIteration: learned.training.bestIteration },
      artifact,
    };
    log(`B1 p=${p} L=${L}: optimal ${optimal}, learned ${row.learned} (${row.gaps.learned}%), capped ${row.cappedBaseStock} (${row.gaps.cappedBaseStock}%), base-stock ${row.baseStock} (${row.gaps.baseStock}%), ${row.trainSeconds} s`);
    rows.push(row);
  }
  return { rows, evalPeriods, searchPeriods };
}

async function runB2(sc, options) {
  const config = { leadTimes: SNYDER_SHEN.leadTimes, holdingCosts: SNYDER_SHEN.holdingCosts, stockoutCost: SNYDER_SHEN.stockoutCost };
  const demand = sc.poissonDemand(SNYDER_SHEN.mean);
  const exact = sc.optimalEchelonBaseStock(config, SNYDER_SHEN.mean);
  const evalPeriods = options.evalPeriods ?? (options.quick ? 100_000 : 500_000);
  const evaluation = { periods: evalPeriods, seed: options.seed + 2, warmup: 1000, initialEchelon: exact.levels };
  const simulated = sc.simulateSerial(config, new sc.EchelonBaseStockPolicy(exact.levels), demand, evaluation);
  const started = Date.now();
  const learned = await sc.trainSerialPolicy(config, demand, exact.levels, {
    seed: options.seed,
    budget: options.quick ? { envs: 16, steps: 64, iterations: 2, selectionPeriods: 20_000 } : { envs: 32, steps: 64, iterations: 6, selectionPeriods: 50_000 },
    ppo: { hidden: [32, 32], minibatch: 512, evaluateEvery: 2, learningRate: 1e-3 },
    log: (m) => log(`B2 ${m}`),
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const l = sc.simulateSerial(config, learned.policy, demand, evaluation);
  const artifact = saveArtifact(sc, options.artifactsDir, 'b2-snyder-shen-6-1', learned.policy, { algorithm: 'ppo', bestIteration: learned.ppo.bestIteration, seed: options.seed });
  return {
    optimal: SNYDER_SHEN.cost,
    echelonBaseStock: round(exact.cost, 4),
    learned: round(l.averageCost, 4),
    echelonLevels: exact.levels,
    publishedLevels: SNYDER_SHEN.levels,
    echelonBaseStockSimulated: round(simulated.averageCost, 4),
    gaps: { echelonBaseStock: gap(exact.cost, SNYDER_SHEN.cost), echelonBaseStockSimulated: gap(simulated.averageCost, SNYDER_SHEN.cost), learned: gap(l.averageCost, SNYDER_SHEN.cost) },
    standardErrors: { echelonBaseStockSimulated: round(simulated.standardError, 4), learned: round(l.standardError, 4) },
    learnedSelection: { initialCost: round(learned.ppo.initialCost, 4), bestCost: round(learned.ppo.bestCost, 4), bestIteration: learned.ppo.bestIteration },
    trainSeconds: round(trainSeconds, 1),
    evalPeriods,
    artifact,
  };
}

function m5Directory(options) {
  const dataDir = resolve(options.dataDir ?? process.env.STORELOOP_DATA_DIR ?? join(root, '..', 'shared', 'data'));
  const direct = existsSync(join(dataDir, 'sales_wide.csv'));
  const dir = direct ? dataDir : join(dataDir, options.m5);
  if (!existsSync(join(dir, 'sales_wide.csv'))) throw new Error(`M5 data not found at ${dir} (pass --data-dir or set STORELOOP_DATA_DIR)`);
  return dir;
}

async function runB3(sc, options) {
  const dir = m5Directory(options);
  const limit = options.series ?? (options.quick ? 60 : undefined);
  const { series, days } = sc.loadM5(dir, { limit });
  const trainDays = options.trainDays;
  if (trainDays >= days - 30) throw new Error(`--train-days ${trainDays} leaves fewer than 30 test days of ${days}`);
  const train = { start: 0, end: trainDays };
  const test = { start: trainDays, end: days };
  const started = Date.now();
  const trained = await sc.trainRealDemandPolicy(series, {
    seed: options.seed,
    range: train,
    states: options.quick ? 5_000 : 20_000,
    log: (m) => log(`B3 ${m}`),
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const cache = new Map();
  const learned = sc.evaluateOnHistories(series, trained.policy, trained.baseStock.params, trained.costs, test, cache);
  const base = sc.evaluateOnHistories(series, trained.baseStock, trained.baseStock.params, trained.costs, test, cache);
  const won = learned.perSeries.filter((s, i) => s.cost < base.perSeries[i].cost - 1e-9).length;
  const tied = learned.perSeries.filter((s, i) => Math.abs(s.cost - base.perSeries[i].cost) <= 1e-9).length;
  const summary = (o) => ({ cost: round(o.cost, 2), costPerSeriesDay: round(o.cost / o.days, 5), fillRate: round(o.fillRate, 5), averageStock: round(o.stockDays / o.days, 3) });
  const artifact = saveArtifact(sc, options.artifactsDir, 'b3-m5', trained.policy, { ...trained.training, seed: options.seed, trainDays });
  return {
    learned: summary(learned),
    baseStock: { ...summary(base), window: trained.baseStock.params.window, safetyFactor: trained.baseStock.params.safetyFactor },
    seriesWon: won,
    seriesTied: tied,
    series: series.length,
    days: { train: trainDays, test: days - trainDays },
    costs: trained.costs,
    selection: trained.selection,
    trainSeconds: round(trainSeconds, 1),
    data: dir,
    artifact,
  };
}

async function runReplenishment(options) {
  const started = Date.now();
  const skip = new Set(String(options.skip).split(',').filter(Boolean));
  await ensureBuilt(['ml', 'supply-chain']);
  const ml = require('@storeloop/ml');
  const sc = require('@storeloop/supply-chain');
  const backend = await ml.initTfBackend({ logger: { info: (m) => log(m) } });
  const result = { date: new Date().toISOString(), seed: options.seed, quick: Boolean(options.quick), backend };

  if (!skip.has('b1')) {
    const b1 = await runB1(sc, options);
    result.b1 = b1.rows;
    result.b1Protocol = { demand: 'Poisson(5)', holding: 1, searchPeriods: b1.searchPeriods, evalPeriods: b1.evalPeriods, optimal: 'Zipkin (2008), published' };
    console.log(`\nB1 lost sales (Zipkin 2008), cost per period on ${b1.evalPeriods} periods; gap to optimal in %`);
    console.log(
      table([
        ['p', 'L', 'optimal', 'learned', 'gap', 'capped BS', 'gap', 'base-stock', 'gap', 'train s'],
        ...b1.rows.map((r) => [r.p, r.L, r.optimal, r.learned, r.gaps.learned, r.cappedBaseStock, r.gaps.cappedBaseStock, r.baseStock, r.gaps.baseStock, r.trainSeconds]),
      ]),
    );
  }
  if (!skip.has('b2')) {
    const b2 = await runB2(sc, options);
    result.b2 = b2;
    console.log(`\nB2 serial system (Snyder & Shen Example 6.1), cost per period`);
    console.log(
      table([
        ['policy', 'levels', 'cost', 'gap %', 'se'],
        ['published optimum', `(${b2.publishedLevels})`, b2.optimal, 0, ''],
        ['echelon base-stock (exact)', `(${b2.echelonLevels})`, b2.echelonBaseStock, b2.gaps.echelonBaseStock, ''],
        ['echelon base-stock (simulated)', `(${b2.echelonLevels})`, b2.echelonBaseStockSimulated, b2.gaps.echelonBaseStockSimulated, b2.standardErrors.echelonBaseStockSimulated],
        ['learned (PPO corrections)', '', b2.learned, b2.gaps.learned, b2.standardErrors.learned],
      ]),
    );
  }
  if (!skip.has('b3')) {
    const b3 = await runB3(sc, options);
    result.b3 = b3;
    console.log(`\nB3 real demand (${b3.series} series, test ${b3.days.test} days, lead time ${b3.costs.leadTime}): total cost over the test days`);
    console.log(
      table([
        ['policy', 'cost', 'fill rate', 'avg stock', 'note'],
        ['learned', b3.learned.cost, b3.learned.fillRate, b3.learned.averageStock, `won ${b3.seriesWon}, tied ${b3.seriesTied} of ${b3.series} series`],
        ['forecast base-stock', b3.baseStock.cost, b3.baseStock.fillRate, b3.baseStock.averageStock, `window ${b3.baseStock.window}, z ${b3.baseStock.safetyFactor}`],
      ]),
    );
  }
  result.seconds = round((Date.now() - started) / 1000, 1);
  const file = writeResult(options.output, result);
  log(`wrote ${file} (${result.seconds} s)`);
  return 0;
}
