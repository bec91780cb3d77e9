export * from './artifact';
export * from './bgnbd';
export * from './calibration';
export * from './logistic-regression';
export * from './mlp';
export * from './nelder-mead';
export * from './special-functions';
export * from './standardizer';
