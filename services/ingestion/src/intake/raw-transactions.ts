import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { PartitionTransactions } from '@storeloop/messaging';
import { RAW_TRANSACTIONS } from './tokens';

/** Disconnects the partitions' transactional producers after the consumer has stopped (Nest closes transports first). */
@Injectable()
export class RawTransactionsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RAW_TRANSACTIONS) private readonly producer: PartitionTransactions) {}

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
