export * from './metadata';
export * from './artifact-store';
export * from './filesystem-store';
export * from './s3-store';
export * from './config';
export * from './scorer-artifact';
