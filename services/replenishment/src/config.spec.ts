import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadReplenishmentConfig } from './config';

describeServiceConfig('replenishment', loadReplenishmentConfig, DEFAULT_PORT);
