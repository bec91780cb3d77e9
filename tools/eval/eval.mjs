#!/usr/bin/env node
// `npm run eval -- <name> [options]`: offline evaluations on the real datasets
// in ../shared/data (or --data-dir / STORELOOP_DATA_DIR). Each prints a table
// and writes eval/results/<name>.json with the figures, the protocol, the
// seed, the TF.js backend and the time taken.
//   npm run eval -- movielens        recommender on MovieLens-100K (Microsoft Recommenders protocol)
//   npm run eval -- cdnow            repeat-purchase propensity on CDNOW (MLP vs RFM logistic vs BG/NBD)
//   npm run eval -- replenishment    learned order policies vs known optima (B1, B2) and real demand (B3)
//   npm run eval -- --help | <name> --help
// An evaluation is one module (tools/eval/<name>.mjs) exporting `register(program, action)`.
import { Command } from 'commander';
import { moduleAction } from '../lib.mjs';

/** Runs an evaluation's entry point and exits with its code. */
const action = (load) => moduleAction('eval', load);

const program = new Command('npm run eval --')
  .description('Storeloop offline evaluations on the real datasets (../shared/data, --data-dir or STORELOOP_DATA_DIR)')
  .showHelpAfterError()
  .addHelpText('after', '\nResults: eval/results/<name>.json (committed: the latest measured figures).');

for (const name of ['movielens', 'cdnow', 'replenishment']) {
  // Each module adds its own subcommand; a missing one must not break the others.
  const module = await import(`./${name}.mjs`).catch((error) => {
    if (error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(`${name}.mjs`)) return undefined;
    throw error;
  });
  module?.register(program, action);
}

await program.parseAsync(process.argv);
