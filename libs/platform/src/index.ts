export * from './platform.module';
export * from './service';
