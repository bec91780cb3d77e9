import { describeServiceLifecycle } from '@storeloop/testing';

describeServiceLifecycle('ingestion');
