import { describeServiceLifecycle } from '@storeloop/testing';

describeServiceLifecycle('inference');
