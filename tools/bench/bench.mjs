#!/usr/bin/env node
// `npm run bench -- <bench> [options]`: benchmarks against the local Kafka and
// Redis, with the built services as child processes and the real datasets.
// Results go to bench/results/<bench>.json and a table on stdout.
//   npm run bench                               every bench in turn with its defaults, then bench/RESULTS.md
//   npm run bench -- table                      bench/RESULTS.md again from the result files (runs nothing)
//   npm run bench -- ingest                     HTTP and raw-topic throughput of ingestion
//   npm run bench -- ingest --duration 60 --connections 16
//   npm run bench -- ingest --profile           also a CPU profile of the service (top self-time frames)
//   npm run bench -- features                   feature-store events/s, freshness and Redis bytes per entity
//   npm run bench -- training                   TF.js training samples/s per backend, recommender scaling, time to the MovieLens goal
//   npm run bench -- inference                  recommendation latency at 500 and 1,000 req/s, max req/s (MovieLens features and model)
//   npm run bench -- retrieval                  inference serving math: brute-force top-k latency by catalogue size, MLP scorer rows/s
//   npm run bench -- freshness                  end to end: POST /v1/events to the effect readable in Redis, at a fixed rate
//   npm run bench -- --help | ingest --help | features --help
// A new bench is one module (tools/bench/<name>.mjs), one command below, its rows in
// results-table.mjs and its name in run-all.mjs.
import { Command, InvalidArgumentError } from 'commander';
import { moduleAction, root } from '../lib.mjs';
import { recordInvocation } from './lib.mjs';

const positiveInt = (value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (value) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};
const phaseList = (value) => {
  const phases = value.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = phases.filter((p) => !['http', 'raw'].includes(p));
  if (phases.length === 0 || unknown.length > 0) throw new InvalidArgumentError('expected http, raw or http,raw');
  return phases;
};

/** Runs a bench module's entry point and exits with its code. */
const action = (load) => moduleAction('bench', load);

recordInvocation('npm run bench --', process.argv.slice(2));

const program = new Command('npm run bench --')
  .description('Storeloop benchmarks: local Kafka + Redis, built services, real datasets (../shared/data or STORELOOP_DATA_DIR)')
  .showHelpAfterError()
  .addHelpText('after', '\nResults: bench/results/<bench>.json and the table bench/RESULTS.md (committed: the latest measured figures).');

const benchList = (value) => value.split(',').map((name) => name.trim()).filter(Boolean);

program
  .command('all', { isDefault: true })
  .description('every bench in turn with its default options (ingest-steps, ingest, features, freshness, retrieval, training, inference), then bench/RESULTS.md; exits non-zero when one failed')
  .option('--skip <list>', 'benches to leave out, e.g. training,inference', benchList, [])
  .action(action(async () => (await import('./run-all.mjs')).runAllBenches));

program
  .command('table')
  .description('write bench/RESULTS.md and the README\'s table from the result files (bench/results/*.json, eval/results/movielens.json); runs no bench')
  .action(
    action(async () => {
      const { writeResultsTable } = await import('./results-table.mjs');
      return () => {
        const written = writeResultsTable(root);
        process.stdout.write(`[storeloop] wrote ${written.file}${written.readme ? ' and the table in README.md' : ''} (${written.withResults} of ${written.of} benches with results)\n`);
        return 0;
      };
    }),
  );

program
  .command('ingest')
  .description('ingestion throughput: POST /v1/events with autocannon, then the raw-topic consumer path; goal 50,000 events/s each')
  .option('-d, --duration <seconds>', 'measured HTTP run', positiveInt, 20)
  .option('-w, --warmup <seconds>', 'HTTP warm-up before the measured run (0: none)', nonNegativeInt, 3)
  .option('-c, --connections <n>', 'concurrent HTTP connections', positiveInt, 8)
  .option('-b, --batch <n>', 'events per POST body', positiveInt, 500)
  .option('-n, --raw-events <n>', 'events produced to the raw topic and consumed', positiveInt, 300_000)
  .option('-r, --replicas <n>', 'ingestion instances (one consumer group; HTTP connections spread over them)', positiveInt, 1)
  .option('--phases <list>', 'which paths to measure: http, raw or http,raw', phaseList, ['http', 'raw'])
  .option('--no-http-consumer', "measure HTTP with the service's raw-topic consumer off (isolates the HTTP path)")
  .option('--raw-timeout <seconds>', 'give up on the raw path after this long', positiveInt, 600)
  .option('--drain-timeout <seconds>', 'longest wait for the consumer backlog after the HTTP run', positiveInt, 600)
  .option('--quiet-wait <seconds>', 'before each phase, wait up to this long for other processes to leave the CPUs (0: do not wait)', nonNegativeInt, 120)
  .option('--profile', 'run the service under node --cpu-prof (.local/prof) and print the top self-time frames')
  .option('-o, --out <file>', 'result file (default: bench/results/ingest.json; ingest-profiled.json with --profile)')
  .option('--skip-build', 'use the existing dist/ builds')
  .option('--keep', 'keep the bench topics, groups and Redis keys (debugging)')
  .action(
    action(async () => {
      const { runIngestBench } = await import('./ingest.mjs');
      return (options) => runIngestBench({ ...options, out: options.out ?? (options.profile ? 'bench/results/ingest-profiled.json' : 'bench/results/ingest.json') });
    }),
  );

program
  .command('ingest-steps')
  .description('CPU cost per event of each ingestion step (parse, validate, dedup key, stringify, trace, kafkajs encode/decode, Redis), in-process')
  .option('-b, --batch <n>', 'events per batch', positiveInt, 500)
  .option('--millis <ms>', 'measuring time per step', positiveInt, 1500)
  .option('-o, --out <file>', 'result file', 'bench/results/ingest-steps.json')
  .option('--skip-build', 'use the existing dist/ builds')
  .action(action(async () => (await import('./ingest-steps.mjs')).runIngestSteps));

program
  .command('features')
  .description('features service: events/s applied to the feature store from a backlog (goal 30,000), freshness at half that load (goal p99 <= 500 ms), Redis bytes per user and item')
  .option('-n, --events <n>', 'events produced to retail.events.v1 and applied, per throughput run', positiveInt, 200_000)
  .option('--no-examples-variant', 'skip the second throughput run with FEATURES_EMIT_EXAMPLES=false')
  .option('--fresh-seconds <seconds>', 'measured freshness run (after 5 s of warm-up)', positiveInt, 20)
  .option('--fresh-rate <events/s>', 'load of the freshness run (default: half the measured events/s)', positiveInt)
  .option('--timeout <seconds>', 'give up on a throughput run after this long', positiveInt, 600)
  .option('--quiet-wait <seconds>', 'before each phase, wait up to this long for other processes to leave the CPUs (0: do not wait)', nonNegativeInt, 120)
  .option('--profile', 'run the service of the throughput run with examples under node --cpu-prof (.local/prof) and print the top self-time frames')
  .option('-o, --out <file>', 'result file (default: bench/results/features.json; features-profiled.json with --profile)')
  .option('--skip-build', 'use the existing dist/ builds')
  .option('--keep', 'keep the bench topics, groups and Redis keys (debugging)')
  .action(
    action(async () => {
      const { runFeaturesBench } = await import('./features.mjs');
      return (options) => runFeaturesBench({ ...options, out: options.out ?? (options.profile ? 'bench/results/features-profiled.json' : 'bench/results/features.json') });
    }),
  );

program
  .command('training')
  .description('TF.js training samples/s per backend (embedding model with/without the fast kernel, propensity MLP, recommender), recommender scaling at 10k/100k items, time to the MovieLens goal')
  .option('--backends <list>', 'backends to measure, among those that load here', (v) => v.split(',').map((s) => s.trim()).filter(Boolean), ['gpu', 'tensorflow', 'wasm', 'cpu'])
  .option('--repeats <n>', 'repeats per figure (the median is reported)', positiveInt, 3)
  .option('--steps <n>', 'embedding-model steps per repeat with the fast kernel', positiveInt, 40)
  .option('--slow-steps <n>', "embedding-model steps per repeat with tfjs's own kernel (~5 s each on cpu)", positiveInt, 2)
  .option('--mlp-samples <n>', 'propensity-MLP rows per repeat (one epoch)', positiveInt, 25_600)
  .option('--elsa-factors <n>', 'ELSA embedding size for the MovieLens runs', positiveInt, 256)
  .option('--elsa-epochs <n>', 'ELSA epoch cap of the goal run', positiveInt, 12)
  .option('--no-scaling', 'skip the 10k/100k-item scaling runs')
  .option('--scaling-factors <n>', 'ELSA embedding size of the scaling runs', positiveInt, 64)
  .option('--scaling-batch <n>', 'users per step in the scaling runs', positiveInt, 128)
  .option('--scaling-steps <n>', 'steps measured per catalogue size', positiveInt, 3)
  .option('--no-goal', 'skip the time-to-goal runs on MovieLens-100K')
  .option('--data-dir <dir>', 'datasets root (default: STORELOOP_DATA_DIR or ../shared/data)')
  .option('--quiet-wait <seconds>', 'before each phase, wait up to this long for other processes to leave the CPUs (0: do not wait)', nonNegativeInt, 30)
  .option('-o, --out <file>', 'result file', 'bench/results/training.json')
  .action(action(async () => (await import('./training.mjs')).runTrainingBench));

program
  .command('retrieval')
  .description('serving-path math of inference: brute-force top-10 latency at 1k-100k items x 64 dims, MLP scorer rows/s at 200 x 97 (built code, in-process)')
  .option('--items <list>', 'catalogue sizes', (v) => v.split(',').map((s) => positiveInt(s.trim())), [1_000, 10_000, 50_000, 100_000])
  .option('--dim <n>', 'embedding size', positiveInt, 64)
  .option('--queries <n>', 'measured queries per catalogue (after 20 warm-up)', positiveInt, 500)
  .option('--scorer-rows <n>', 'candidate rows per scoring call', positiveInt, 200)
  .option('--features <n>', 'features per row', positiveInt, 97)
  .option('--scorer-millis <ms>', 'measuring time of the pure-JS scorer (TF.js gets half)', positiveInt, 3000)
  .option('--quiet-wait <seconds>', 'before each phase, wait up to this long for other processes to leave the CPUs (0: do not wait)', nonNegativeInt, 30)
  .option('-o, --out <file>', 'result file', 'bench/results/retrieval.json')
  .option('--skip-build', 'use the existing dist/ builds')
  .action(action(async () => (await import('./retrieval.mjs')).runRetrievalBench));

const shareOption = (value) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a share between 0 and 1');
  return n;
};
const rateList = (value) => {
  const rates = value.split(',').map((r) => Number(r.trim()));
  if (rates.length === 0 || rates.some((r) => !Number.isInteger(r) || r <= 0)) throw new InvalidArgumentError('expected positive integers, e.g. 500,1000');
  return rates;
};

program
  .command('inference')
  .description('recommendations: latency at 500 and 1,000 req/s (goal p99 <= 10 ms at 1,000) and max req/s at saturation (goal 3,000), MovieLens-100K features and model')
  .option('-d, --duration <seconds>', 'measured run at each fixed rate', positiveInt, 20)
  .option('--rates <list>', 'fixed rates in req/s, open loop', rateList, [500, 1000])
  .option('-w, --warmup <seconds>', 'closed-loop warm-up before the fixed rates (0: none)', nonNegativeInt, 5)
  .option('--saturation-seconds <seconds>', 'closed-loop saturation run (0: skip)', nonNegativeInt, 20)
  .option('--floor-seconds <seconds>', "the fixed-rate generator against a no-op server at the highest rate: this machine's latency floor (0: skip)", nonNegativeInt, 5)
  .option('-c, --connections <n>', 'connections of the saturation run', positiveInt, 32)
  .option('-k, --k <n>', 'items per list', positiveInt, 10)
  .option('--unknown-share <share>', 'share of requests for user ids the store has never seen (cold start)', shareOption, 0.05)
  .option('--store-share <share>', 'share of requests with &store= (in-stock filter)', shareOption, 0.25)
  .option('--data-dir <dir>', 'datasets root (default: STORELOOP_DATA_DIR or ../shared/data)')
  .option('--prepare-only', 'prepare (or find cached) the features and the model, then stop')
  .option('--refresh', 'prepare again even when the cache under .local/bench/inference is valid')
  .option('--quiet-wait <seconds>', 'before each measured phase, wait up to this long for other processes to leave the CPUs (0: do not wait)', nonNegativeInt, 60)
  .option('-o, --out <file>', 'result file (default: bench/results/inference.json; inference-profiled.json with --profile)')
  .option('--skip-build', 'use the existing dist/ builds')
  .option('--keep', 'keep the bench topics, consumer groups and spool (debugging)')
  .option('--profile', 'run the service under node --cpu-prof (.local/prof) and print the top self-time frames of the saturation run')
  .action(
    action(async () => {
      const { runInferenceBench } = await import('./inference.mjs');
      return (options) => runInferenceBench({ ...options, out: options.out ?? (options.profile ? 'bench/results/inference-profiled.json' : 'bench/results/inference.json') });
    }),
  );

program
  .command('freshness')
  .description('end to end: POST /v1/events (202) to the effect readable in Redis through ingestion and features, at a fixed open-loop rate; p50/p95/p99/max and the share within 1 s')
  .option('--rate <events/s>', 'load (default: half the events/s in bench/results/features.json, else 1,000)', positiveInt)
  .option('-d, --duration <seconds>', 'measured run', positiveInt, 30)
  .option('-w, --warmup <seconds>', 'load before the measured run (not measured)', nonNegativeInt, 5)
  .option('--send-every <ms>', 'one POST with the events due every this many ms (each request is one Kafka write at ingestion)', positiveInt, 100)
  .option('--probe-every <n>', 'every n-th event is a probe whose freshness is measured (1: all)', positiveInt, 5)
  .option('--quiet-wait <seconds>', 'before the load, wait up to this long for other processes to leave the CPUs (0: do not wait)', nonNegativeInt, 60)
  .option('-o, --out <file>', 'result file', 'bench/results/freshness.json')
  .option('--skip-build', 'use the existing dist/ builds')
  .option('--keep', 'keep the bench topics, groups and Redis keys (debugging)')
  .action(action(async () => (await import('./freshness.mjs')).runFreshnessBench));

await program.parseAsync(process.argv);
