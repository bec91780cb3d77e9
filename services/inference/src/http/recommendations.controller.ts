import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { identifier } from '@storeloop/contracts';
import { ApiKeyGuard, HttpProblem, RequireScope } from '@storeloop/platform';
import { z } from 'zod';
import type { InferenceSettings } from '../config';
import { FeedbackLog } from '../feedback/feedback-log';
import { ModelRegistry } from '../models/model-registry';
import { RecommendationEngine, type Recommendation, type RecommendRequest } from '../recommend/engine';
import { DEGRADED_HEADER, FeatureStoreUnavailable, degradedHeaderValue } from '../recommend/feature-store-gate';
import { servedEvent } from '../recommend/served-event';
import { SegmentProfiles } from '../recommend/segment-profiles';
import { INFERENCE_SETTINGS } from '../tokens';
import { INFERENCE_ERRORS, optionalId, parseBody, parseCategory, parseExclude, parseK, parseSurface, parseTenant, requireId } from './params';
import { InferenceMetrics, type ListRoute } from './inference-metrics';

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
  async recommendations(@Param('userId') userId: string, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response) {
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
    this.markDegraded(response, 'recommendations', [answer]);
    this.served([answer]);
    return answer;
  }

  @Post('recommendations\\:batch')
  @HttpCode(200)
  async batch(@Body() body: unknown, @Res({ passthrough: true }) response: Response) {
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
    this.markDegraded(response, 'batch', answers);
    this.served(answers);
    return { results: answers };
  }

  @Get('items/:itemId/similar')
  async similar(@Param('itemId') itemId: string, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response) {
    const tenant = parseTenant(query.tenant, this.settings);
    const sku = requireId('itemId', itemId);
    const k = parseK(query.k, this.settings);
    const store = optionalId('store', query.store);
    const userId = optionalId('userId', query.userId);
    const answer = await this.engine.similar({ tenant, sku, k, store, userId, surface: parseSurface(query.context, 'similar'), exclude: parseExclude(query.exclude) });
    if (!answer) throw new HttpProblem(404, INFERENCE_ERRORS.itemUnknown, `item ${sku} is neither in the model's catalogue nor in the feature store`);
    this.markDegraded(response, 'similar', [answer]);
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
    const predictions = await this.withFeatureStore('propensity', () => this.engine.propensity(tenant, parsed.users, parsed.sku));
    return { modelName: this.registry.modelName, predictions };
  }

  @Get('users/:userId/segment')
  async segment(@Param('userId') userId: string, @Query() query: Record<string, unknown>) {
    const tenant = parseTenant(query.tenant, this.settings);
    const id = requireId('userId', userId);
    const { user } = await this.withFeatureStore('segment', () => this.engine.readUser(tenant, id));
    const segment = user.segmentId ? await this.segments.describe(user.segmentId) : null;
    return { userId: id, tenant, known: user.known, segment };
  }

  /**
   * A degraded list is still a 200 (popularity and neighbours from memory):
   * the body says so (`degraded`, `degradedReason`), and so do a header and
   * `inference_degraded_answers_total`.
   */
  private markDegraded(response: Response, route: ListRoute, answers: readonly Recommendation[]): void {
    let reason: Recommendation['degradedReason'];
    for (const answer of answers) {
      this.metrics.degraded(route, answer);
      reason ??= answer.degradedReason;
    }
    if (reason) response.setHeader(DEGRADED_HEADER, degradedHeaderValue(reason));
  }

  /**
   * Propensity and segments need the user's features: with the feature store
   * away there is nothing honest to answer, so a documented 503 with
   * `Retry-After` (a dependency fault, not one of this service).
   */
  private async withFeatureStore<T>(route: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof FeatureStoreUnavailable)) throw error;
      const seconds = this.engine.featureStore.retryAfterSeconds;
      throw new HttpProblem(503, INFERENCE_ERRORS.featureStoreUnavailable, `${route} needs the feature store, which is unavailable (${error.message}); retry after ${seconds} s`, {}, { 'Retry-After': String(seconds) });
    }
  }

  private served(answers: readonly Recommendation[], contextSku?: string): void {
    for (const answer of answers) this.metrics.served(answer);
    this.feedback.append(answers.map((answer) => servedEvent(answer, { contextSku })));
  }
}
