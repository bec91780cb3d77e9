import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { identifier } from '@storeloop/contracts';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import { z } from 'zod';
import type { InferenceSettings } from '../config';
import { FeedbackLog } from '../feedback/feedback-log';
import { ModelRegistry } from '../models/model-registry';
import { RecommendationEngine, type Recommendation, type RecommendRequest } from '../recommend/engine';
import { servedEvent } from '../recommend/served-event';
import { SegmentProfiles } from '../recommend/segment-profiles';
import { INFERENCE_SETTINGS } from '../tokens';
import { INFERENCE_ERRORS, optionalId, parseBody, parseCategory, parseExclude, parseK, parseSurface, parseTenant, requireId } from './params';
import { InferenceMetrics } from './inference-metrics';

const batchBody = z.object({
  tenant: z.string().optional(),
  context: z.string().optional(),
  k: z.number().int().optional(),
  requests: z
    .array(
      z.object({
        userId: identifier(),
        k: z.number().int().optional(),
        store: identifier().optional(),
        category: z.string().optional(),
        context: z.string().optional(),
      }),
    )
    .min(1),
});

const propensityBody = z.object({
  tenant: z.string().optional(),
  users: z.array(identifier()).min(1),
  /** Probability of a positive outcome on this SKU; without it, on the best item the user would be shown. */
  sku: identifier().optional(),
});

/**
 * What storefront backends ask (API key with the `infer` scope). Every list
 * answered is logged as an impression on retail.feedback.v1 after the answer
 * is built, without waiting for Kafka.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@RequireScope('infer')
export class RecommendationsController {
  constructor(
    @Inject(INFERENCE_SETTINGS) private readonly settings: InferenceSettings,
    private readonly engine: RecommendationEngine,
    private readonly registry: ModelRegistry,
    private readonly feedback: FeedbackLog,
    private readonly segments: SegmentProfiles,
    private readonly metrics: InferenceMetrics,
  ) {}

  @Get('users/:userId/recommendations')
  async recommendations(@Param('userId') userId: string, @Query() query: Record<string, unknown>) {
    const request: RecommendRequest = {
      tenant: parseTenant(query.tenant, this.settings),
      userId: requireId('userId', userId),
      k: parseK(query.k, this.settings),
      store: optionalId('store', query.store),
      category: parseCategory(query.category),
      surface: parseSurface(query.context),
      exclude: parseExclude(query.exclude),
    };
    const answer = await this.engine.recommend(request);
    this.served([answer]);
    return answer;
  }

  @Post('recommendations\\:batch')
  @HttpCode(200)
  async batch(@Body() body: unknown) {
    const parsed = parseBody(batchBody, body, 'expected {"requests": [{"userId": "...", "k"?: n, "store"?: "...", "category"?: "..."}], "k"?: n, "context"?: "..."}');
    if (parsed.requests.length > this.settings.INFERENCE_BATCH_MAX_USERS) {
      throw new HttpProblem(400, INFERENCE_ERRORS.bodyInvalid, `at most ${this.settings.INFERENCE_BATCH_MAX_USERS} requests per batch, got ${parsed.requests.length}`);
    }
    const tenant = parseTenant(parsed.tenant, this.settings);
    const requests = parsed.requests.map(
      (r): RecommendRequest => ({
        tenant,
        userId: r.userId,
        k: parseK(r.k ?? parsed.k, this.settings),
        store: r.store,
        category: parseCategory(r.category),
        surface: parseSurface(r.context ?? parsed.context, 'batch'),
      }),
    );
    const answers = await this.engine.recommendMany(requests);
    this.served(answers);
    return { results: answers };
  }

  @Get('items/:itemId/similar')
  async similar(@Param('itemId') itemId: string, @Query() query: Record<string, unknown>) {
    const tenant = parseTenant(query.tenant, this.settings);
    const sku = requireId('itemId', itemId);
    const k = parseK(query.k, this.settings);
    const store = optionalId('store', query.store);
    const userId = optionalId('userId', query.userId);
    const answer = await this.engine.similar({ tenant, sku, k, store, userId, surface: parseSurface(query.context, 'similar'), exclude: parseExclude(query.exclude) });
    if (!answer) throw new HttpProblem(404, INFERENCE_ERRORS.itemUnknown, `item ${sku} is neither in the model's catalogue nor in the feature store`);
    // Only a list shown to a known user is an impression (the feedback contract is keyed by user).
    if (userId) this.served([answer], sku);
    return { ...answer, itemId: sku };
  }

  @Post('propensity')
  @HttpCode(200)
  async propensity(@Body() body: unknown) {
    const parsed = parseBody(propensityBody, body, 'expected {"users": ["<userId>", ...], "sku"?: "<sku>"}');
    if (parsed.users.length > this.settings.INFERENCE_PROPENSITY_MAX_USERS) {
      throw new HttpProblem(400, INFERENCE_ERRORS.bodyInvalid, `at most ${this.settings.INFERENCE_PROPENSITY_MAX_USERS} users per request, got ${parsed.users.length}`);
    }
    const tenant = parseTenant(parsed.tenant, this.settings);
    if (!this.registry.champion?.scorer && !this.registry.challenger?.scorer) {
      throw new HttpProblem(503, INFERENCE_ERRORS.noModel, `no version of ${this.registry.modelName} with a scorer is loaded yet`);
    }
    return { modelName: this.registry.modelName, predictions: await this.engine.propensity(tenant, parsed.users, parsed.sku) };
  }

  @Get('users/:userId/segment')
  async segment(@Param('userId') userId: string, @Query() query: Record<string, unknown>) {
    const tenant = parseTenant(query.tenant, this.settings);
    const id = requireId('userId', userId);
    const { user } = await this.engine.readUser(tenant, id);
    const segment = user.segmentId ? await this.segments.describe(user.segmentId) : null;
    return { userId: id, tenant, known: user.known, segment };
  }

  private served(answers: readonly Recommendation[], contextSku?: string): void {
    for (const answer of answers) this.metrics.served(answer);
    this.feedback.append(answers.map((answer) => servedEvent(answer, { contextSku })));
  }
}
