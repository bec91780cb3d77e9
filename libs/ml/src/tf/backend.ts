/**
 * Picks the TensorFlow.js backend once, at start, fastest first:
 *
 *   1. `@tensorflow/tfjs-node-gpu`  (native TensorFlow with CUDA)   backend 'tensorflow', accelerator 'gpu'
 *   2. `@tensorflow/tfjs-node`      (native TensorFlow, CPU)        backend 'tensorflow', accelerator 'cpu'
 *   3. `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD)              backend 'wasm'
 *   4. the pure-JS cpu backend of `@tensorflow/tfjs`                 backend 'cpu'
 *
 * The two native packages are optionalDependencies: their install downloads
 * libtensorflow and fails on machines without it, so they are loaded with a
 * guarded `require` and the project runs without them.
 *
 * `TRAINING_BACKEND` (or `preferred`) forces one: `gpu`, `tensorflow`, `wasm`
 * or `cpu`. An explicit choice that cannot load is an error, not a silent
 * fallback, so a deployment that expects a GPU never quietly trains on cpu.
 *
 * On cpu and wasm it registers the scatter-add `UnsortedSegmentSum` (see
 * segment-sum-kernel.ts), which makes embedding training fast there.
 */
import * as tf from '@tensorflow/tfjs';
import { MlInputError } from '../errors';
import { registerFastSegmentSum } from './segment-sum-kernel';

/** What `TRAINING_BACKEND` and `preferred` accept. */
export const TRAINING_BACKEND_CHOICES = ['gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TrainingBackendChoice = (typeof TRAINING_BACKEND_CHOICES)[number];

/** The backend in use; services log it, export it as a metric and store it with each model. */
export interface TfBackendDescription {
  /** tf.getBackend(): 'tensorflow' (tfjs-node, -gpu), 'wasm' or 'cpu'. */
  backend: 'tensorflow' | 'wasm' | 'cpu';
  accelerator: 'gpu' | 'cpu';
  /** npm package that provides the backend. */
  package: string;
  /** That package's version. */
  version: string;
  /** Kernels this library registered on top of the backend's own. */
  fastKernels: string[];
}

/** Anything with `info(message)` (pino, console) or `log(message)` (Nest's Logger). */
export interface BackendLogger {
  info?(message: string): void;
  log?(message: string): void;
}

export interface InitTfBackendOptions {
  /** Forces a backend; overrides the env. Default: env TRAINING_BACKEND, else the first that loads. */
  preferred?: string;
  logger?: BackendLogger;
  /** Environment to read TRAINING_BACKEND from (default process.env); for tests. */
  env?: NodeJS.ProcessEnv;
}

interface Candidate {
  choice: TrainingBackendChoice;
  package: string;
  accelerator: 'gpu' | 'cpu';
  backend: TfBackendDescription['backend'];
}

const CANDIDATES: readonly Candidate[] = [
  { choice: 'gpu', package: '@tensorflow/tfjs-node-gpu', accelerator: 'gpu', backend: 'tensorflow' },
  { choice: 'tensorflow', package: '@tensorflow/tfjs-node', accelerator: 'cpu', backend: 'tensorflow' },
  { choice: 'wasm', package: '@tensorflow/tfjs-backend-wasm', accelerator: 'cpu', backend: 'wasm' },
  { choice: 'cpu', package: '@tensorflow/tfjs', accelerator: 'cpu', backend: 'cpu' },
];

/** Raised when an explicitly requested backend cannot be used. */
export class TfBackendUnavailableError extends Error {
  readonly code = 'ML.BACKEND_UNAVAILABLE';
  override readonly name = 'TfBackendUnavailableError';
}

function parseChoice(value: string, source: string): TrainingBackendChoice {
  const choice = value.trim().toLowerCase();
  if (!(TRAINING_BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new MlInputError(`${source} must be one of ${TRAINING_BACKEND_CHOICES.join(', ')}; got '${value}'`);
  }
  return choice as TrainingBackendChoice;
}

function packageVersion(pkg: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return pkg === '@tensorflow/tfjs' ? tf.version_core : 'unknown';
  }
}

/** Loads a candidate's package and switches tfjs to it; throws with the reason when it cannot. */
async function activate(candidate: Candidate): Promise<void> {
  if (candidate.backend !== 'cpu') {
    try {
      // Guarded: the native packages are optional, and wasm registers itself on require.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(candidate.package);
    } catch (error) {
      throw new TfBackendUnavailableError(
        `${candidate.package} cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(candidate.backend);
    await tf.ready();
  } catch (error) {
    throw new TfBackendUnavailableError(`tf.setBackend('${candidate.backend}') failed: ${(error as Error).message}`);
  }
  if (!ok || tf.getBackend() !== candidate.backend) {
    throw new TfBackendUnavailableError(`tf.setBackend('${candidate.backend}') did not initialise`);
  }
}

function describe(candidate: Candidate): TfBackendDescription {
  const fastKernels = registerFastSegmentSum(candidate.backend) ? [tf.UnsortedSegmentSum] : [];
  return {
    backend: candidate.backend,
    accelerator: candidate.accelerator,
    package: candidate.package,
    version: packageVersion(candidate.package),
    fastKernels,
  };
}

let current: Promise<TfBackendDescription> | undefined;
let currentChoice: TrainingBackendChoice | undefined;

async function select(choice: TrainingBackendChoice | undefined, logger?: BackendLogger): Promise<TfBackendDescription> {
  const say = (message: string) => (logger?.info ? logger.info(message) : logger?.log?.(message));
  if (choice) {
    const candidate = CANDIDATES.find((c) => c.choice === choice)!;
    await activate(candidate); // an explicit choice that fails is an error
    const description = describe(candidate);
    say(`tfjs backend ${description.backend} (${description.package} ${description.version}, ${description.accelerator}; requested '${choice}')`);
    return description;
  }
  const skipped: string[] = [];
  for (const candidate of CANDIDATES) {
    try {
      await activate(candidate);
    } catch (error) {
      skipped.push(`${candidate.choice}: ${(error as Error).message}`);
      continue;
    }
    const description = describe(candidate);
    say(
      `tfjs backend ${description.backend} (${description.package} ${description.version}, ${description.accelerator})` +
        (skipped.length ? `; skipped ${skipped.join('; ')}` : ''),
    );
    return description;
  }
  throw new TfBackendUnavailableError(`no TF.js backend could start: ${skipped.join('; ')}`);
}

/**
 * Selects and initialises the backend (see the module comment) and returns
 * what it chose. Idempotent: later calls return the first call's result;
 * a later call that names a different backend throws (use `switchTfBackend`).
 */
export function initTfBackend(options: InitTfBackendOptions = {}): Promise<TfBackendDescription> {
  const env = options.env ?? process.env;
  const requested = options.preferred ?? (env.TRAINING_BACKEND?.trim() ? env.TRAINING_BACKEND : undefined);
  let choice: TrainingBackendChoice | undefined;
  try {
    choice = requested === undefined ? undefined : parseChoice(requested, options.preferred ? 'preferred' : 'TRAINING_BACKEND');
  } catch (error) {
    return Promise.reject(error);
  }
  if (current) {
    if (choice && currentChoice && choice !== currentChoice) {
      return Promise.reject(
        new MlInputError(`TF.js backend already initialised as '${currentChoice}'; cannot switch to '${choice}' with initTfBackend`),
      );
    }
    return current;
  }
  current = select(choice, options.logger).then(
    (description) => {
      currentChoice = CANDIDATES.find((c) => c.package === description.package)!.choice;
      return description;
    },
    (error: unknown) => {
      current = undefined; // let a caller retry, e.g. with another choice
      throw error;
    },
  );
  return current;
}

/**
 * Switches to a named backend even after `initTfBackend` (benchmarks and
 * tests that compare backends in one process). Variables created on the old
 * backend move lazily; dispose models first.
 */
export async function switchTfBackend(choice: string, logger?: BackendLogger): Promise<TfBackendDescription> {
  const parsed = parseChoice(choice, 'backend');
  const description = await select(parsed, logger);
  current = Promise.resolve(description);
  currentChoice = parsed;
  return description;
}

/** Which backends can load here, without changing the active one for good (restores it after probing). */
export async function availableTfBackends(): Promise<TrainingBackendChoice[]> {
  const before = tf.getBackend();
  const available: TrainingBackendChoice[] = [];
  for (const candidate of CANDIDATES) {
    try {
      await activate(candidate);
      available.push(candidate.choice);
    } catch {
      // not available here
    }
  }
  if (before) await tf.setBackend(before);
  return available;
}

/** The description of the active backend, if `initTfBackend` has finished. */
export async function currentTfBackend(): Promise<TfBackendDescription | undefined> {
  return current?.catch(() => undefined);
}
