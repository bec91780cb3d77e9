import { describeServiceLifecycle } from '@storeloop/testing';

describeServiceLifecycle('features');
