import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import type { ArtifactStore } from '@storeloop/ml';
import { ApiKeyGuard, HttpProblem, RequireScope, type AuthenticatedRequest } from '@storeloop/platform';
import { ModelLifecycle } from '../lifecycle/model-lifecycle';
import { ARTIFACT_STORE } from '../tokens';
import { TrainingLoop } from '../training/training-loop';

const promoteBody = z.object({ version: z.string().min(1), reason: z.string().trim().min(1).max(500).optional() });
const rollbackBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).optional();

/**
 * What ML engineers do by hand (API key with the `admin` scope): list models
 * and versions, promote a version, roll back to the previous champion, and
 * start a training run. Every change is a lifecycle event on retail.models.v1.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@RequireScope('admin')
export class ModelsController {
  constructor(
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly lifecycle: ModelLifecycle,
    private readonly loop: TrainingLoop,
  ) {}

  @Get('models')
  async models() {
    const versions = await this.store.list();
    const names = [...new Set([this.lifecycle.modelName, ...versions.map((v) => v.modelName)])].sort();
    return {
      models: await Promise.all(
        names.map(async (name) => ({
          modelName: name,
          champion: await this.store.readChampion(name),
          versions: versions.filter((v) => v.modelName === name).length,
        })),
      ),
    };
  }

  @Get('models/:name/versions')
  async versions(@Param('name') name: string) {
    this.requireTrainedHere(name);
    const champion = await this.store.readChampion(name);
    const versions = (await this.store.list(name)).reverse();
    return {
      modelName: name,
      champion,
      versions: versions.map((metadata) => ({ ...metadata, uri: this.store.uri(name, metadata.version), champion: metadata.version === champion?.version })),
    };
  }

  @Post('models/:name/promote')
  @HttpCode(200)
  async promote(@Param('name') name: string, @Body() body: unknown, @Req() request: AuthenticatedRequest) {
    this.requireTrainedHere(name);
    const parsed = promoteBody.safeParse(body);
    if (!parsed.success) throw new HttpProblem(400, 'TRAINING.BODY_INVALID', 'expected {"version": "<version>", "reason"?: "<text>"}');
    const reason = parsed.data.reason ?? `promoted by hand (key ${request.apiKey?.id ?? 'unknown'})`;
    const event = await this.lifecycle.exclusive(() => this.lifecycle.promote(parsed.data.version, reason));
    return { event };
  }

  @Post('models/:name/rollback')
  @HttpCode(200)
  async rollback(@Param('name') name: string, @Body() body: unknown, @Req() request: AuthenticatedRequest) {
    this.requireTrainedHere(name);
    const parsed = rollbackBody.safeParse(body ?? undefined);
    if (!parsed.success) throw new HttpProblem(400, 'TRAINING.BODY_INVALID', 'expected {"reason"?: "<text>"} or no body');
    const reason = parsed.data?.reason ?? `rolled back by hand (key ${request.apiKey?.id ?? 'unknown'})`;
    const event = await this.lifecycle.exclusive(() => this.lifecycle.rollback(reason));
    return { event };
  }

  /** Starts a run now and answers when it has ended (promoted or rejected), or 409 when the window is too small. */
  @Post('models/:name/train')
  @HttpCode(200)
  async train(@Param('name') name: string) {
    this.requireTrainedHere(name);
    const summary = await this.loop.trigger('manual');
    if (!summary) throw new HttpProblem(409, 'TRAINING.NOT_ENOUGH_EXAMPLES', 'the window holds fewer examples than TRAINING_MIN_EXAMPLES');
    return summary;
  }

  @Get('training/status')
  status() {
    return { ...this.loop.status(), champion: this.lifecycle.current ? { version: this.lifecycle.current.metadata.version, previous: this.lifecycle.current.previous } : null };
  }

  private requireTrainedHere(name: string): void {
    if (name !== this.lifecycle.modelName) {
      throw new HttpProblem(404, 'TRAINING.MODEL_NOT_FOUND', `this service trains "${this.lifecycle.modelName}", not "${name}"`);
    }
  }
}
