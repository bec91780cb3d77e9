import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@storeloop/contracts';
import type { BatchContext, ConsumedMessage } from '@storeloop/messaging';
import type { RawIntake } from '../intake/intake';
import { IngestPipeline } from '../intake/ingest-pipeline';

/** Company systems' events from the raw topic, in either CloudEvents mode, through the shared pipeline. */
@Controller()
export class RawEventsConsumer {
  constructor(private readonly pipeline: IngestPipeline) {}

  @EventPattern(TOPICS.rawEvents.name)
  async onRawEvents(@Payload() messages: ConsumedMessage<RawIntake>[], @Ctx() context: BatchContext): Promise<void> {
    await this.pipeline.processRawSlice(messages, context);
  }
}
