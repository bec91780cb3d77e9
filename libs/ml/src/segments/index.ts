export * from './kmeans';
export * from './rfm';
export * from './segmentation';
export * from './user-row';
