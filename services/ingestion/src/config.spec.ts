import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadIngestionConfig } from './config';

describeServiceConfig('ingestion', loadIngestionConfig, DEFAULT_PORT);
