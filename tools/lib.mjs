// Small helpers shared by the top-level scripts (npm test, npm start). Node built-ins only:
// these run before `npm ci` has installed anything.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function log(message) {
  process.stdout.write(`[storeloop] ${message}\n`);
}

/** Runs a command with inherited stdio; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export async function runOrExit(command, args, options) {
  const code = await run(command, args, options);
  if (code !== 0) {
    log(`"${command} ${args.join(' ')}" failed with exit code ${code}`);
    process.exit(code);
  }
}

/** Times a phase and remembers it for the closing summary. */
export const phases = [];
export async function phase(name, fn) {
  const started = Date.now();
  log(`phase ${name}: start`);
  try {
    return await fn();
  } finally {
    const seconds = (Date.now() - started) / 1000;
    phases.push({ name, seconds });
    log(`phase ${name}: ${seconds.toFixed(1)} s`);
  }
}

export function printPhases() {
  log('phase timings:');
  for (const { name, seconds } of phases) log(`  ${name.padEnd(14)} ${seconds.toFixed(1).padStart(7)} s`);
}

/** `npm ci` when node_modules is missing or older than the lockfile. */
export async function ensureDependencies() {
  const marker = join(root, 'node_modules/.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) {
    log('dependencies are installed');
    return;
  }
  await runOrExit('npm', ['ci', '--no-audit', '--no-fund']);
}

export const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', NX_SKIP_NX_CACHE: 'false' };

/**
 * A commander action for a CLI whose subcommands live in their own modules
 * (`npm run bench`, `npm run eval`): loads the module's entry point, runs it
 * and exits with its code; a throw is logged with its stack and exits 1.
 */
export function moduleAction(what, load) {
  return async (options) => {
    try {
      const code = await (await load())(options);
      process.exit(code ?? 0);
    } catch (error) {
      log(`${what} failed: ${error.stack ?? error}`);
      process.exit(1);
    }
  };
}
