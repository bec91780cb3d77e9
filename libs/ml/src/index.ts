export * from './errors';
export * from './ranking-metrics';
export * from './classification-metrics';
export * from './random';
export * from './split';
