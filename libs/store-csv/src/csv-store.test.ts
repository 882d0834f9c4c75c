import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreContract } from '@santa/domain/testing';
import { openCsvStore } from './index';

const root = await mkdtemp(join(tmpdir(), 'santa-csv-contract-'));
let opened = 0;
let latest = '';

runStoreContract('csv', {
  open() {
    opened += 1;
    latest = join(root, `store-${opened}`);
    return openCsvStore({ dataDir: latest });
  },
  reopen: () => openCsvStore({ dataDir: latest }),
  cleanup: () => rm(root, { recursive: true, force: true }),
});
