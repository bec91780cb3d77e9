import { describeServiceLifecycle } from '@storeloop/testing';

// Inference stays in rotation without Redis once it has a catalogue, answering degraded from memory (README: Degraded answers).
describeServiceLifecycle('inference', { withoutRedis: 'degraded' });
