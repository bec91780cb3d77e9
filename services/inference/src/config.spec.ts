import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadInferenceConfig } from './config';

describeServiceConfig('inference', loadInferenceConfig, DEFAULT_PORT);
