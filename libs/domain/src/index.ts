export * from './model';
export * from './errors';
export * from './port';
export * from './secrets';
export * from './ids';
export * from './random';
export * from './draw';
export * from './validation';
