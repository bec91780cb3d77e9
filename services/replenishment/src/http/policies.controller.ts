import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { OrderPolicy } from '@storeloop/supply-chain';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import { PolicyRegistry } from '../policy/policy-registry';
import type { TrainingRun } from '../policy/policy-store';

export const TRAINING_BUSY = 'REPLENISHMENT.TRAINING_BUSY';

export interface PoliciesView {
  /** The policy whose orders are placed. */
  acting: 'learned' | 'classical';
  classical: { policy: string; policyVersion: string };
  learned: { policy: string; policyVersion: string } | null;
  forecastWindowDays: number;
  /** The promoted training run, with its held-out costs against the classical policy; null before any. */
  promoted: TrainingRun | null;
  /** The last training runs, newest first (promoted, rejected or failed). */
  runs: TrainingRun[];
  trainingInProgress: boolean;
}

const named = (policy: OrderPolicy) => ({ policy: policy.name, policyVersion: policy.version });

/** Policy versions and their evaluation costs (scope `infer`), and a training run now (scope `admin`). */
@Controller('v1/policies')
@UseGuards(ApiKeyGuard)
export class PoliciesController {
  constructor(private readonly registry: PolicyRegistry) {}

  @Get()
  @RequireScope('infer')
  async list(): Promise<PoliciesView> {
    const acting = await this.registry.acting();
    const [promoted, runs] = await Promise.all([this.registry.currentRun(), this.registry.runs()]);
    return {
      acting: acting.learned ? 'learned' : 'classical',
      classical: named(acting.classical),
      learned: acting.learned ? named(acting.learned) : null,
      forecastWindowDays: acting.forecastWindowDays,
      promoted,
      runs,
      trainingInProgress: this.registry.isTraining,
    };
  }

  /** Trains now and answers with the run (minutes at most: REPLENISHMENT_TRAIN_BUDGET_MS). */
  @Post('train')
  @HttpCode(200)
  @RequireScope('admin')
  async train(): Promise<TrainingRun | { outcome: 'skipped'; reason: string }> {
    if (this.registry.isTraining) throw new HttpProblem(409, TRAINING_BUSY, 'a training run is already in progress on this instance');
    const run = await this.registry.train();
    return run ?? { outcome: 'skipped', reason: 'another replica holds the training lease, or no pair has enough sales history yet' };
  }
}
