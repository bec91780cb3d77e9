import { modelLifecycleEventSchema, type ModelLifecycleEvent } from '@storeloop/contracts';
import type { TopicReader } from '@storeloop/testing';

/**
 * Decodes a TopicReader's records once each, as they arrive, so a test can
 * poll counts many times over thousands of records without re-parsing them.
 */
class Decoded<T> {
  private readonly values: T[] = [];

  constructor(
    private readonly reader: TopicReader,
    private readonly decode: (value: unknown) => T,
  ) {}

  all(): readonly T[] {
    const { messages } = this.reader;
    for (let i = this.values.length; i < messages.length; i += 1) {
      this.values.push(this.decode(JSON.parse(messages[i].message.value?.toString('utf8') ?? 'null')));
    }
    return this.values;
  }
}

interface ExampleSummary {
  kind?: string;
  label: number;
  modelVersion?: string;
}

/** Training examples by kind and label, and served examples by the model version that served them. */
export class ExampleTally {
  private readonly decoded: Decoded<ExampleSummary>;

  constructor(reader: TopicReader) {
    this.decoded = new Decoded(reader, (value) => {
      const { kind, label, modelVersion } = value as ExampleSummary;
      return { kind, label, modelVersion };
    });
  }

  count(filter: (example: ExampleSummary) => boolean): number {
    return this.decoded.all().filter(filter).length;
  }

  ofKinds(...kinds: string[]): number {
    return this.count((example) => kinds.includes(example.kind ?? ''));
  }
}

/** The model lifecycle as published on retail.models.v1. */
export class LifecycleLog {
  private readonly decoded: Decoded<ModelLifecycleEvent>;

  constructor(reader: TopicReader) {
    this.decoded = new Decoded(reader, (value) => modelLifecycleEventSchema.parse(value));
  }

  events(): readonly ModelLifecycleEvent[] {
    return this.decoded.all();
  }

  /** Completed runs: each ends with `promoted` or `rejected`. */
  outcomes(): ModelLifecycleEvent[] {
    return this.events().filter((event) => event.stage === 'promoted' || event.stage === 'rejected');
  }

  promotions(): ModelLifecycleEvent[] {
    return this.events().filter((event) => event.stage === 'promoted');
  }
}

interface FeedbackSummary {
  type: string;
  modelVersion?: string;
}

/** Impressions on retail.feedback.v1 per model version. */
export class ImpressionTally {
  private readonly decoded: Decoded<FeedbackSummary>;

  constructor(reader: TopicReader) {
    this.decoded = new Decoded(reader, (value) => {
      const event = value as { type: string; data: { modelVersion?: string } };
      return { type: event.type, modelVersion: event.data?.modelVersion };
    });
  }

  byVersion(servedType: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const event of this.decoded.all()) {
      if (event.type === servedType && event.modelVersion) counts.set(event.modelVersion, (counts.get(event.modelVersion) ?? 0) + 1);
    }
    return counts;
  }
}
