import { mulberry32 } from './random';
import { deserializePolicy, deserializeSerialPolicy, serializePolicy } from './artifact';
import { type ForecastBaseStockStructure, NeuralOrderPolicy, NeuralSerialPolicy, structureFeatureCount } from './neural-policy';
import { Mlp } from './rl/mlp';

const structure: ForecastBaseStockStructure = { kind: 'forecast-base-stock', params: { leadTime: 2, window: 28, safetyFactor: 1.5 }, unitFraction: 0.5 };
const deltas = [-2, -1, 0, 1, 2];

function randomPolicy(seed: number): NeuralOrderPolicy {
  const net = new Mlp([structureFeatureCount(structure), 8, 8, deltas.length]);
  net.initialise(mulberry32(seed), 3);
  return new NeuralOrderPolicy(structure, net, deltas, `test-${seed}`);
}

describe('policy artifacts', () => {
  it('round-trips: the rebuilt policy orders exactly as the original', () => {
    const policy = randomPolicy(1);
    const { metadata, weights } = serializePolicy(policy, { algorithm: 'api' });
    const json = JSON.parse(JSON.stringify(metadata));
    const bytes = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength);
    const rebuilt = deserializePolicy(json, bytes);
    expect(rebuilt.version).toBe('test-1');
    const random = mulberry32(2);
    let differs = 0;
    for (let i = 0; i < 200; i += 1) {
      const state = { onHand: Math.floor(random() * 30) - 3, pipeline: [Math.floor(random() * 10)], demandMean: random() * 8, demandStd: random() * 4 };
      expect(rebuilt.order(state)).toBe(policy.order(state));
      if (policy.order(state) !== new NeuralOrderPolicy(structure, new Mlp(policy.network.sizes), deltas, 'zero').order(state)) differs += 1;
    }
    expect(differs).toBeGreaterThan(0); // the weights matter, so the comparison above means something
  });

  it('rejects mismatched or foreign artifacts with clear errors', () => {
    const { metadata, weights } = serializePolicy(randomPolicy(3));
    expect(() => deserializePolicy(metadata, weights.slice(1))).toThrow(/expected \d+ weights/);
    expect(() => deserializePolicy({ ...metadata, formatVersion: 99 }, weights)).toThrow('unsupported');
    expect(() => deserializePolicy({ ...metadata, format: 'other' as never }, weights)).toThrow('not an order-policy');
    expect(() => deserializePolicy(metadata, new Uint8Array(3))).toThrow('whole float32s');
    expect(() => deserializeSerialPolicy(metadata, weights)).toThrow('not a serial policy');
  });

  it('serial policies round-trip through deserializeSerialPolicy only', () => {
    const serialStructure = { kind: 'echelon-base-stock' as const, levels: [9, 15, 26], leadTimes: [1, 1, 2], scale: 5 };
    const net = new Mlp([structureFeatureCount(serialStructure), 4, 9]);
    net.initialise(mulberry32(5));
    const policy = new NeuralSerialPolicy(serialStructure, net, [-1, 0, 1], 'serial-1');
    const { metadata, weights } = serializePolicy(policy);
    expect(() => deserializePolicy(metadata, weights)).toThrow('deserializeSerialPolicy');
    const state = { onHand: [3, 4, 10], inTransit: [[5], [4], [5, 5]], owed: [0, 1, 0] };
    expect(deserializeSerialPolicy(metadata, weights).orders(state)).toEqual(policy.orders(state));
  });
});
