export * from './baselines';
export * from './ease';
export * from './elsa';
export * from './interactions';
export * from './model';
export * from './topk';
export * from './train';
