export * from './model';
export * from './errors';
export * from './port';
export * from './secrets';
export * from './ids';
