import { describeServiceLifecycle } from '@storeloop/testing';

describeServiceLifecycle('replenishment');
