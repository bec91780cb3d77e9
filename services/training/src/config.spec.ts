import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadTrainingConfig } from './config';

describeServiceConfig('training', loadTrainingConfig, DEFAULT_PORT);
