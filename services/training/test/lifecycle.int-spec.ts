import { describeServiceLifecycle } from '@storeloop/testing';

describeServiceLifecycle('training');
