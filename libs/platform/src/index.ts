export * from './platform.module';
export * from './service';
export * from './http/problem';
export * from './security/api-keys';
export * from './security/rate-limiter';
export * from './security/api-key.guard';
export * from './http/docs.module';
