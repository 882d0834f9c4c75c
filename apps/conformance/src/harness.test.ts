import { describe, expect, it } from 'vitest';
import { makeDataDir, removeDataDir, startStage } from './harness';

describe('the stage harness', () => {
  it("fails at once, with the stage runner's own words, when a stage cannot start", async () => {
    const dataDir = await makeDataDir('missing');
    try {
      await expect(startStage('00-no-such-stage', dataDir)).rejects.toThrow(/exited before it was ready[\s\S]*unknown stage "00-no-such-stage"/);
    } finally {
      await removeDataDir(dataDir);
    }
  });
});
