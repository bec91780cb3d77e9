/**
 * Vectorised training environments for the correction policies: many
 * independent copies of a simulator stepped together, each with its own
 * seeded demand stream. Rewards are -(cost - shift) / scale: shifting by the
 * classical policy's cost per period and scaling by it keeps values near
 * zero for the critic without changing which policy is best.
 */
import { mulberry32, type Random } from '../random';
import type { InventoryState } from '../policy';
import type { DemandModel } from '../demand';
import type { SingleStageConfig } from '../single-stage';
import { SerialSystem, type SerialConfig } from '../serial';
import {
  type CappedBaseStockStructure,
  type EchelonStructure,
  serialBaseOrders,
  serialFeatures,
  singleStageBaseOrder,
  singleStageFeatures,
  structureFeatureCount,
} from '../neural-policy';
import type { VectorEnv } from './ppo';

export interface RewardScale {
  shift: number;
  scale: number;
}

/** Stationary single-stage demand (B1): lost sales or backorders, capacity and order costs per SingleStageConfig. */
export class StationaryVectorEnv implements VectorEnv {
  readonly obsDim: number;
  readonly heads = 1;
  private readonly states: { onHand: number; pipeline: number[]; inTransit: number[] }[];
  private readonly randoms: Random[];

  constructor(
    readonly config: SingleStageConfig,
    readonly demand: DemandModel,
    readonly structure: CappedBaseStockStructure,
    readonly deltas: readonly number[],
    readonly numEnvs: number,
    seed: number,
    readonly reward: RewardScale,
  ) {
    this.obsDim = structureFeatureCount(structure);
    const L = config.leadTime;
    this.randoms = Array.from({ length: numEnvs }, (_, e) => mulberry32((seed + e * 7919) >>> 0));
    this.states = Array.from({ length: numEnvs }, () => ({ onHand: structure.level, pipeline: new Array(Math.max(L - 1, 0)).fill(0), inTransit: new Array(Math.max(L, 1)).fill(0) }));
    // Burn in under the classical policy so training starts from its steady state, not an empty system.
    const actions = new Int32Array(numEnvs).fill(deltas.indexOf(0));
    const rewards = new Float32Array(numEnvs);
    const dones = new Uint8Array(numEnvs);
    this.receive();
    for (let t = 0; t < 50; t += 1) this.step(actions, rewards, dones);
  }

  private receive(): void {
    const L = this.config.leadTime;
    for (const s of this.states) {
      if (L === 0) continue;
      s.onHand += s.inTransit[0];
      for (let i = 0; i < L - 1; i += 1) {
        s.inTransit[i] = s.inTransit[i + 1];
        s.pipeline[i] = s.inTransit[i];
      }
      s.inTransit[L - 1] = 0;
    }
  }

  observe(obs: Float32Array): void {
    for (let e = 0; e < this.numEnvs; e += 1) singleStageFeatures(this.structure, this.states[e] as InventoryState, obs, e * this.obsDim);
  }

  step(actions: Int32Array, rewards: Float32Array, dones: Uint8Array): void {
    const { leadTime: L, holdingCost: h, penaltyCost: p, lostSales } = this.config;
    const capacity = this.config.capacity ?? Number.POSITIVE_INFINITY;
    for (let e = 0; e < this.numEnvs; e += 1) {
      const s = this.states[e];
      const q = Math.min(Math.max(0, singleStageBaseOrder(this.structure, s as InventoryState) + this.deltas[actions[e]]), capacity);
      if (L > 0) s.inTransit[L - 1] = q;
      else s.onHand += q;
      const d = this.demand.sample(this.randoms[e]);
      let cost = q > 0 ? (this.config.fixedOrderCost ?? 0) + (this.config.unitOrderCost ?? 0) * q : 0;
      if (lostSales) {
        const sold = Math.min(Math.max(s.onHand, 0), d);
        s.onHand -= sold;
        cost += h * s.onHand + p * (d - sold);
      } else {
        s.onHand -= d;
        cost += s.onHand >= 0 ? h * s.onHand : -p * s.onHand;
      }
      rewards[e] = -(cost - this.reward.shift) / this.reward.scale;
      dones[e] = 0;
    }
    this.receive();
  }
}

/** Serial system (B2): one correction head per stage. */
export class SerialVectorEnv implements VectorEnv {
  readonly obsDim: number;
  readonly heads: number;
  private readonly systems: SerialSystem[];
  private readonly randoms: Random[];

  constructor(
    readonly config: SerialConfig,
    readonly demand: DemandModel,
    readonly structure: EchelonStructure,
    readonly deltas: readonly number[],
    readonly numEnvs: number,
    seed: number,
    readonly reward: RewardScale,
  ) {
    this.obsDim = structureFeatureCount(structure);
    this.heads = structure.levels.length;
    this.randoms = Array.from({ length: numEnvs }, (_, e) => mulberry32((seed + e * 7919) >>> 0));
    this.systems = Array.from({ length: numEnvs }, () => new SerialSystem(config, structure.levels));
    for (let e = 0; e < numEnvs; e += 1) this.systems[e].receiveAndDemand(demand.sample(this.randoms[e]));
    const actions = new Int32Array(numEnvs * this.heads).fill(deltas.indexOf(0));
    for (let t = 0; t < 50; t += 1) this.step(actions, new Float32Array(numEnvs), new Uint8Array(numEnvs));
  }

  observe(obs: Float32Array): void {
    for (let e = 0; e < this.numEnvs; e += 1) serialFeatures(this.structure, this.systems[e].state(), obs, e * this.obsDim);
  }

  step(actions: Int32Array, rewards: Float32Array, dones: Uint8Array): void {
    for (let e = 0; e < this.numEnvs; e += 1) {
      const system = this.systems[e];
      const orders = serialBaseOrders(this.structure, system.state()).map((base, j) => Math.max(0, base + this.deltas[actions[e * this.heads + j]]));
      const cost = system.orderAndCost(orders);
      rewards[e] = -(cost - this.reward.shift) / this.reward.scale;
      dones[e] = 0;
      system.receiveAndDemand(this.demand.sample(this.randoms[e]));
    }
  }
}
