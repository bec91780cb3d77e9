export * from './backend';
export * from './segment-sum-kernel';
