import type { TopicName } from '@storeloop/contracts';

/**
 * Maps logical topic names from the registry to physical names. A prefix lets
 * several environments (or parallel test runs) share one cluster without
 * touching each other's data.
 */
export class TopicNamer {
  constructor(readonly prefix = '') {}

  physical(topic: TopicName | string): string {
    return `${this.prefix}${topic}`;
  }

  logical(physicalTopic: string): string {
    return this.prefix && physicalTopic.startsWith(this.prefix) ? physicalTopic.slice(this.prefix.length) : physicalTopic;
  }
}
