import { mulberry32 } from '../random';
import { poissonDemand } from '../demand';
import { CappedBaseStockPolicy } from '../classical';
import { argmax } from '../neural-policy';
import { fitRegretClassifier } from './api';
import { trainStationaryPolicy } from './stationary';

describe('learning', () => {
  it('the regret classifier learns which correction is cheapest where', async () => {
    const random = mulberry32(1);
    const count = 2000;
    const features = new Float32Array(count * 2);
    const regrets = new Float32Array(count * 3);
    for (let i = 0; i < count; i += 1) {
      const x = random() * 2 - 1;
      features[i * 2] = x;
      features[i * 2 + 1] = random();
      // Action 0 is best for x < 0, action 2 for x > 0; action 1 is always a little worse.
      regrets.set(x < 0 ? [0, 0.5, 1] : [1, 0.5, 0], i * 3);
    }
    const net = await fitRegretClassifier({ features, regrets, count }, 2, 3, { seed: 2, epochs: 40, batchSize: 200, hidden: [8] });
    const out = new Float32Array(3);
    let correct = 0;
    for (const x of [-0.9, -0.5, -0.2, 0.2, 0.5, 0.9]) {
      net.forward([x, 0.5], 0, out);
      if (argmax(out, 0, 3) === (x < 0 ? 0 : 2)) correct += 1;
    }
    expect(correct).toBe(6);
  }, 60_000);

  it.each(['api', 'ppo'] as const)('%s never returns a policy worse than the capped base-stock it starts from (on the selection path)', async (algorithm) => {
    const config = { leadTime: 2, holdingCost: 1, penaltyCost: 9, lostSales: true };
    const result = await trainStationaryPolicy(config, poissonDemand(5), {
      seed: 3,
      algorithm,
      classical: new CappedBaseStockPolicy(19, 6),
      budget: { envs: 4, steps: 16, iterations: 2, selectionPeriods: 5_000 },
      api: { rollouts: [{ states: 300, repetitions: 2, horizon: 10 }], epochs: 3 },
      ppo: { hidden: [8], minibatch: 32, evaluateEvery: 1 },
    });
    expect(result.training.bestCost).toBeLessThanOrEqual(result.training.initialCost);
    expect(result.training.history[0].cost).toBe(result.training.initialCost);
    expect(result.policy.order({ onHand: 5, pipeline: [5] })).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
