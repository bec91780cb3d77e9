export * from './repo';
export * from './wait';
export * from './kafka';
export * from './processes';
export * from './target-guard';
export * from './service-suite';
export * from './datasets';
export * from './restartable-service';
