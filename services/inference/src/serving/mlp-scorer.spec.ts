import {
  disposePropensityModel,
  initTfBackend,
  loadScorerArtifact,
  mulberry32,
  predictPropensity,
  scorerArtifactFiles,
  trainPropensityMlp,
  type BinaryLabel,
  type CalibrationMethod,
  type LoadedPropensityModel,
} from '@storeloop/ml';
import { StoreloopError } from '@storeloop/observability';
import { INVALID_QUERY, MODEL_ARTIFACT_INVALID } from './embedding-index';
import { MlpScorer } from './mlp-scorer';

const FEATURES = ['u.recency', 'u.frequency', 'u.spend', 'i.price', 'i.popularity'];

/** Buyers are recent, frequent and like cheap popular items; columns on very different scales, as real features are. */
function synthetic(n: number, seed: number): { rows: number[][]; labels: BinaryLabel[] } {
  const random = mulberry32(seed);
  const rows: number[][] = [];
  const labels: BinaryLabel[] = [];
  for (let i = 0; i < n; i += 1) {
    const row = [random() * 60, Math.floor(random() * 10), 5 + random() * 500, 1 + random() * 99, random() * 1e4];
    const z = 1 - row[0] / 15 + 0.4 * row[1] - row[3] / 50 + row[4] / 5e3;
    rows.push(row);
    labels.push(random() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
  }
  return { rows, labels };
}

/** Trains a tiny model and takes it through the artifact bytes, as the service receives it. */
async function storedModel(calibration: CalibrationMethod, dropout: number): Promise<LoadedPropensityModel> {
  const trained = await trainPropensityMlp({
    featureNames: FEATURES,
    train: synthetic(400, 1),
    validation: synthetic(200, 2),
    config: { seed: 9, maxEpochs: 2, patience: 2, batchSize: 64, learningRate: 3e-3, calibration, dropout },
  });
  try {
    return await loadScorerArtifact(new Map(Object.entries(await scorerArtifactFiles(trained))));
  } finally {
    disposePropensityModel(trained);
  }
}

/** `n` random rows in the training range, as float32 (what scoreRows takes) and as the number[][] predictPropensity takes. */
function randomRows(n: number, seed: number): { flat: Float32Array; nested: number[][] } {
  const { rows } = synthetic(n, seed);
  const flat = Float32Array.from(rows.flat());
  const nested = rows.map((_, r) => Array.from(flat.subarray(r * FEATURES.length, (r + 1) * FEATURES.length)));
  return { flat, nested };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof StoreloopError ? error.code : `not a StoreloopError: ${String(error)}`;
  }
  return undefined;
}

// Real TF.js training (wasm, two epochs of a few hundred rows) per calibration kind: seconds, more on a busy machine.
jest.setTimeout(60_000);

describe('MlpScorer', () => {
  beforeAll(async () => {
    await initTfBackend({ preferred: 'wasm' });
  });

  describe.each([
    ['none', 0],
    ['platt', 0],
    // Dropout layers are in the stored network; the scorer must step over them.
    ['isotonic', 0.2],
  ] as const)('with %s calibration (dropout %s)', (calibration, dropout) => {
    let model: LoadedPropensityModel;
    let scorer: MlpScorer;

    beforeAll(async () => {
      model = await storedModel(calibration, dropout);
      scorer = MlpScorer.fromLoaded(model);
    });

    afterAll(() => disposePropensityModel(model));

    it('uses the model calibrator and its feature order', () => {
      expect(scorer.calibrator.method).toBe(calibration);
      expect(scorer.featureNames).toEqual(FEATURES);
      expect(scorer.featureCount).toBe(FEATURES.length);
    });

    it('equals predictPropensity within 1e-5 on random rows', () => {
      const { flat, nested } = randomRows(203, 17);
      const expected = predictPropensity(model, nested);
      const actual = scorer.scoreRows(flat, nested.length);
      expect(actual).toHaveLength(nested.length);
      let worst = 0;
      expected.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - actual[i]))));
      expect(worst).toBeLessThan(1e-5);
      // Not a constant model: the comparison above would be vacuous.
      expect(Math.max(...actual) - Math.min(...actual)).toBeGreaterThan(0.05);
    });

    it('scores one user\'s candidates (user columns equal in every row) as predictPropensity does, and as row by row', () => {
      const { flat, nested } = randomRows(57, 31);
      const user = nested[0].slice(0, 3);
      nested.forEach((row, r) => {
        row.splice(0, 3, ...user);
        flat.set(user, r * FEATURES.length);
      });
      const batch = scorer.scoreRows(flat, nested.length);
      const expected = predictPropensity(model, nested);
      expected.forEach((p, i) => expect(Math.abs(p - batch[i])).toBeLessThan(1e-5));
      nested.forEach((_, r) => {
        const alone = scorer.scoreRows(flat.subarray(r * FEATURES.length), 1)[0];
        expect(Math.abs(alone - batch[r])).toBeLessThan(1e-12);
      });
      // Every column shared: the whole first layer folds into its bias.
      const same = Float32Array.from({ length: 6 * FEATURES.length }, (_, i) => flat[i % FEATURES.length]);
      scorer.scoreRows(same, 6).forEach((p) => expect(Math.abs(p - batch[0])).toBeLessThan(1e-12));
    });

    it('scores from first-layer shares (user shared, item precomputed, cross per row) as from whole rows', () => {
      const { flat, nested } = randomRows(41, 37);
      const width = FEATURES.length;
      // Columns 0-2 are the user's (equal in every row), 3-4 the item's, the rest cross features.
      const userColumns = [0, 1, 2];
      const itemColumns = [3, 4];
      const crossColumns = FEATURES.map((_, c) => c).filter((c) => c > 4);
      nested.forEach((row, r) => {
        row.splice(0, 3, ...nested[0].slice(0, 3));
        flat.set(nested[0].slice(0, 3), r * width);
      });
      const shared = scorer.firstLayerShare(userColumns, nested[0].slice(0, 3));
      const itemShares = nested.map((row) => scorer.firstLayerShare(itemColumns, itemColumns.map((c) => row[c])));
      const cross = Float64Array.from(nested.flatMap((row) => crossColumns.map((c) => row[c])));
      const factored = scorer.scoreFactored(shared, itemShares, crossColumns, cross, nested.length);
      const whole = scorer.scoreRows(flat, nested.length);
      factored.forEach((p, i) => expect(Math.abs(p - whole[i])).toBeLessThan(1e-9));
      expect(Math.max(...factored) - Math.min(...factored)).toBeGreaterThan(0.01);
    });

    it('gives the same scores in batches of any size, after its buffers grew, and into a given array', () => {
      const { flat } = randomRows(600, 23);
      const whole = scorer.scoreRows(flat, 600);
      const first = scorer.scoreRows(flat, 3);
      // Equal up to summation order (a column equal across a small batch is folded into the bias).
      first.forEach((p, i) => expect(Math.abs(p - whole[i])).toBeLessThan(1e-12));
      const out = new Float64Array(10).fill(-1);
      scorer.scoreRows(flat.subarray(5 * 7 * FEATURES.length), 7, out);
      out.subarray(0, 7).forEach((p, i) => expect(Math.abs(p - whole[35 + i])).toBeLessThan(1e-12));
      expect(out[7]).toBe(-1);
      expect(scorer.scoreRows(flat, 0)).toHaveLength(0);
    });
  });

  describe('input checks', () => {
    let model: LoadedPropensityModel;
    let scorer: MlpScorer;

    beforeAll(async () => {
      model = await storedModel('none', 0);
      scorer = MlpScorer.fromLoaded(model);
    });

    afterAll(() => disposePropensityModel(model));

    it('rejects too few values, a short output array and non-finite features with INFERENCE.INVALID_QUERY', () => {
      const rows = new Float32Array(2 * FEATURES.length);
      expect(codeOf(() => scorer.scoreRows(rows, 3))).toBe(INVALID_QUERY);
      expect(codeOf(() => scorer.scoreRows(rows, 2, new Float64Array(1)))).toBe(INVALID_QUERY);
      rows[FEATURES.length + 2] = Number.NaN;
      expect(() => scorer.scoreRows(rows, 2)).toThrow(/row 1 feature 'u.spend' is NaN/);
    });

    it('refuses a model it cannot reproduce with INFERENCE.MODEL_ARTIFACT_INVALID', () => {
      const badCalibrator = { ...model, calibrator: { method: 'beta' } as unknown as LoadedPropensityModel['calibrator'] };
      expect(codeOf(() => MlpScorer.fromLoaded(badCalibrator))).toBe(MODEL_ARTIFACT_INVALID);
      const shortStandardizer = { ...model, standardizer: { ...model.standardizer, means: model.standardizer.means.slice(1) } };
      expect(codeOf(() => MlpScorer.fromLoaded(shortStandardizer))).toBe(MODEL_ARTIFACT_INVALID);
      const wrongWidth = { ...model, featureNames: [...FEATURES, 'i.extra'], standardizer: { featureNames: [...FEATURES, 'i.extra'], means: [...model.standardizer.means, 0], stds: [...model.standardizer.stds, 1] } };
      expect(() => MlpScorer.fromLoaded(wrongWidth)).toThrow(/kernel has shape \[5,128\], expected \[6, units\]/);
    });
  });
});
