import { describe, expect, it } from 'vitest';
import { commandFor } from './target-process';
import { knownTargets, stageNames, targetSpec } from './targets';

describe('targets', () => {
  it('knows every stage under stages/, those made of replicas too, and the references', () => {
    const stages = stageNames();
    expect(stages).toEqual([...stages].sort());
    expect(stages).toEqual(expect.arrayContaining(['01-csv', '02-sqlite', '03-postgres', '04-redis-cache']));
    expect(knownTargets().slice(-2)).toEqual(['ceiling', 'bare-node']);
  });

  it('reads what a stage needs and where it keeps its data', () => {
    expect(targetSpec('01-csv')).toEqual({ name: '01-csv', kind: 'stage', services: [], store: 'csv' });
    expect(targetSpec('02-sqlite').store).toBe('sqlite');
    expect(targetSpec('04-redis-cache')).toMatchObject({ services: ['postgres', 'redis'], store: 'postgres' });
    expect(targetSpec('ceiling')).toEqual({ name: 'ceiling', kind: 'reference', services: [], store: null });
    for (const stage of stageNames()) expect(targetSpec(stage).store).not.toBeNull();
    expect(() => targetSpec('09-nothing')).toThrow(/unknown target/);
    // A stage of replicas takes a count; a one-process stage does not.
    expect(targetSpec('05-replicas:2')).toMatchObject({ name: '05-replicas:2', services: ['postgres', 'redis'], store: 'postgres', replicas: 2 });
    expect(targetSpec('05-replicas').replicas).toBeUndefined();
    expect(() => targetSpec('04-redis-cache:2')).toThrow(/only a stage of replicas/);
    expect(() => targetSpec('05-replicas:0')).toThrow(/whole number from 1/);
  });

  it('starts stages through the stage runner and the references directly', () => {
    const data = { participants: 1000, seed: 3, drawnRate: 1 };
    expect(commandFor({ spec: targetSpec('02-sqlite'), dataDir: '/tmp/d', data }).slice(-5)).toEqual(['02-sqlite', '--port', '0', '--data', '/tmp/d']);
    expect(commandFor({ spec: targetSpec('05-replicas:3'), dataDir: '/tmp/d', data }).slice(-7)).toEqual(['05-replicas', '--port', '0', '--data', '/tmp/d', '--replicas', '3']);
    expect(commandFor({ spec: targetSpec('ceiling'), dataDir: '/tmp/d', data }).slice(-8)).toEqual(['--port', '0', '--participants', '1000', '--seed', '3', '--drawn-rate', '1']);
  });
});
