import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadFeaturesConfig } from './config';

describeServiceConfig('features', loadFeaturesConfig, DEFAULT_PORT);
