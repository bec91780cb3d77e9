export * from './config';
export * from './client';
export * from './redis.module';
export * from './views';
export * from './reference/counters';
