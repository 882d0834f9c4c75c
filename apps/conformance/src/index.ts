export * from './harness';
export * from './stages';
