import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError, newId, type ExchangeRecord, type ExchangeStore } from '@santa/domain';
import {
  drawInCircle,
  newExchangeRecord,
  newIdempotencyIntent,
  newParticipantRecord,
  newParticipantRecords,
  runBulkContract,
  runStoreContract,
} from '@santa/domain/testing';
import { APPEND_RECORD_FILE, COMMIT_RECORD_FILE, CommitInDoubtError, PreparedAppend, PreparedCommit } from './file-commit';
import { CorruptTableError, DataDirFormatError, DataDirLockedError, openCsvStore, type CsvStore } from './index';
import { TABLES, TABLE_NAMES, type TableName } from './tables';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WRITER_PROCESS = join(PACKAGE_DIR, 'src', 'fixtures', 'writer-process.ts');

const contractRoot = await mkdtemp(join(tmpdir(), 'santa-csv-contract-'));
let opened = 0;
let latest = '';

runStoreContract('csv', {
  open() {
    opened += 1;
    latest = join(contractRoot, `store-${opened}`);
    return openCsvStore({ dataDir: latest });
  },
  reopen: () => openCsvStore({ dataDir: latest }),
  cleanup: () => rm(contractRoot, { recursive: true, force: true }),
});

const bulkRoot = await mkdtemp(join(tmpdir(), 'santa-csv-bulk-'));
let bulkStores = 0;

runBulkContract('csv', {
  open() {
    bulkStores += 1;
    return openCsvStore({ dataDir: join(bulkRoot, `store-${bulkStores}`) });
  },
  cleanup: () => rm(bulkRoot, { recursive: true, force: true }),
});

/** An ISO timestamp `offsetMs` after a fixed instant. */
function at(offsetMs: number): string {
  return new Date(Date.UTC(2026, 10, 1) + offsetMs).toISOString();
}

function pickCounts({ participantCount, wishlistCount, exclusionCount }: ExchangeRecord) {
  return { participantCount, wishlistCount, exclusionCount };
}

describe('the CSV store on disk', () => {
  let root: string;
  let dataDir: string;
  let store: CsvStore | undefined;
  let runs = 0;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'santa-csv-adapter-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  beforeEach(() => {
    runs += 1;
    dataDir = join(root, `adapter-${runs}`);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await store?.close();
    store = undefined;
  });

  async function open(): Promise<CsvStore> {
    store = await openCsvStore({ dataDir });
    return store;
  }

  async function reopen(): Promise<CsvStore> {
    await store?.close();
    return open();
  }

  it('creates the directory with meta.json and a header line in each table', async () => {
    await open();

    expect((await readdir(dataDir)).sort()).toEqual([...tableFiles(), 'meta.json', 'store.lock'].sort());
    expect(JSON.parse(await readFile(join(dataDir, 'meta.json'), 'utf8'))).toEqual({ format: 'santa-ladder/csv', version: 2 });
    for (const name of TABLE_NAMES) {
      expect(await readFile(join(dataDir, TABLES[name].file), 'utf8')).toBe(`${TABLES[name].columns.join(',')}\n`);
    }
  });

  it('round-trips hostile text exactly, and stores it as given', async () => {
    const hostile = await open();
    const exchange = await hostile.createExchange(newExchangeRecord({ name: HOSTILE.join(' | ').slice(0, 100) }));
    const added = await hostile.addParticipants(
      exchange.id,
      HOSTILE.map((text, index) =>
        newParticipantRecord(exchange.id, {
          name: text || 'Empty wishlist',
          email: `"${text.length} ${index}, quoted"@example.test`,
          wishlist: text,
        }),
      ),
    );
    const expected = {
      exchange: await hostile.getExchange(exchange.id),
      participants: await hostile.listParticipants(exchange.id, { limit: 500 }),
      views: await Promise.all(added.map((participant) => hostile.getMeView(participant.tokenHash))),
    };
    expect(expected.participants.map((participant) => participant.wishlist)).toEqual(HOSTILE);

    const reopened = await reopen();

    expect({
      exchange: await reopened.getExchange(exchange.id),
      participants: await reopened.listParticipants(exchange.id, { limit: 500 }),
      views: await Promise.all(added.map((participant) => reopened.getMeView(participant.tokenHash))),
    }).toEqual(expected);
    const cells = (await parseTable('participants')).flat();
    expect(cells).toContain("=cmd|' /C calc'!A0");
    expect(cells).toContain('@SUM(A1:A2)');
  });

  it('leaves every table a valid CSV file, and no temporary file, after every kind of write', async () => {
    const writer = await open();
    const exchange = await writer.createExchange(newExchangeRecord(), newIdempotencyIntent({ createdAt: at(0) }));
    await expectCleanTables();
    const [ann, bob, cy, dee] = await writer.addParticipants(
      exchange.id,
      HOSTILE.slice(0, 4).map((text) => newParticipantRecord(exchange.id, { name: `Guest ${text}`, wishlist: text })),
      newIdempotencyIntent({ createdAt: at(1) }),
    );
    await expectCleanTables();
    await writer.replaceExclusions(exchange.id, [
      { giverId: ann.id, receiverId: bob.id },
      { giverId: dee.id, receiverId: cy.id },
    ]);
    await expectCleanTables();
    await writer.removeParticipant(exchange.id, dee.id);
    await expectCleanTables();
    await writer.updateWishlist(cy.tokenHash, 'Line one\r\nline "two", =three');
    await expectCleanTables();
    await writer.draw(exchange.id, at(2), drawInCircle, newIdempotencyIntent({ createdAt: at(2) }));
    await expectCleanTables();
    expect(await writer.purgeIdempotencyRecords(at(2))).toBe(2);
    await expectCleanTables();
    expect((await writer.getMeView(ann.tokenHash))?.giftee?.id).toBe(bob.id);
  });

  it('refuses a second open of the same directory through another path', async () => {
    await open();
    const alias = join(root, `alias-${runs}`);
    await symlink(dataDir, alias);

    await expect(openCsvStore({ dataDir: alias })).rejects.toThrow(`is already open in this process (pid ${process.pid})`);
  });

  it('refuses a data directory of another format version, saying which', async () => {
    await open();
    await reopen().then((reopened) => reopened.close());
    await writeFile(join(dataDir, 'meta.json'), JSON.stringify({ format: 'santa-ladder/csv', version: 3 }));

    const refusal = openCsvStore({ dataDir });

    await expect(refusal).rejects.toBeInstanceOf(DataDirFormatError);
    await expect(refusal).rejects.toThrow(`${dataDir} holds CSV data of format version 3; this build reads version 2 only`);
  });

  it('upgrades a directory of format version 1, which had no outbox, keeping every row', async () => {
    const writer = await open();
    const exchange = await writer.createExchange(newExchangeRecord());
    const [ann] = await writer.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));
    await writer.close();
    await writeFile(join(dataDir, 'meta.json'), JSON.stringify({ format: 'santa-ladder/csv', version: 1 }));
    await rm(join(dataDir, TABLES.outbox.file));
    await rm(join(dataDir, TABLES.links.file));

    await expect(openCsvStore({ dataDir, readOnly: true })).rejects.toThrow('Open it once with the stage');
    const upgraded = await open();

    expect(JSON.parse(await readFile(join(dataDir, 'meta.json'), 'utf8'))).toEqual({ format: 'santa-ladder/csv', version: 2 });
    expect((await upgraded.getMeView(ann.tokenHash))?.exchange.participantCount).toBe(3);
    expect(await upgraded.queueReminders(exchange.id, at(1_000))).toBe(3);
  });

  it('refuses a directory that holds something other than a CSV store', async () => {
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'notes.txt'), 'not a table');

    await expect(openCsvStore({ dataDir })).rejects.toThrow(`${dataDir} is not empty and has no meta.json`);
    expect(await readdir(dataDir)).toEqual(['notes.txt']);
  });

  it('reports a table damaged by hand as corrupt, naming the file', async () => {
    const reader = await open();
    await writeFile(join(dataDir, 'exchanges.csv'), 'id,name\n"unterminated\n');

    await expect(reader.getExchange(newId())).rejects.toThrow(CorruptTableError);
    await expect(reader.getExchange(newId())).rejects.toThrow('exchanges.csv');
  });

  it('answers ping while the directory is usable, and StoreUnavailableError once it is gone', async () => {
    const pinged = await open();
    await expect(pinged.ping()).resolves.toBeUndefined();

    await rm(dataDir, { recursive: true });

    await expect(pinged.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(pinged.getExchange(newId())).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  describe('a draw interrupted by a crash', () => {
    const prepare = PreparedCommit.prepare.bind(PreparedCommit);
    type CrashPoint = { when: string; recovered: 'before' | 'after'; simulate(): void };
    const crashPoints: CrashPoint[] = [
      {
        when: 'while its files were staged',
        recovered: 'before',
        simulate: () =>
          vi.spyOn(PreparedCommit, 'prepare').mockImplementationOnce(async (dir, changes) => {
            await prepare(dir, changes);
            await rm(join(dir, COMMIT_RECORD_FILE));
            throw new Error('killed');
          }),
      },
      { when: 'right after its commit record', recovered: 'after', simulate: () => crashApplying(0) },
      { when: 'between two of its renames', recovered: 'after', simulate: () => crashApplying(1) },
      { when: 'after its renames', recovered: 'after', simulate: () => crashApplying(3) },
    ];

    /** The next apply renames `renames` staged files, then its process "dies". */
    function crashApplying(renames: number): void {
      vi.spyOn(PreparedCommit.prototype, 'apply').mockImplementationOnce(async function (this: PreparedCommit) {
        for (const { staged, target } of this.files.slice(0, renames)) {
          await rename(join(this.dir, staged), join(this.dir, target));
        }
        throw new Error('killed');
      });
    }

    it.each(crashPoints)('recovers to the state $recovered the draw after a crash $when', async ({ simulate, recovered }) => {
      const crashing = await open();
      const exchange = await crashing.createExchange(newExchangeRecord());
      const participants = await seedHostileParticipants(crashing, exchange.id, 3);
      const intent = newIdempotencyIntent<ExchangeRecord>({ createdAt: at(0), status: 200 });
      simulate();

      await expect(crashing.draw(exchange.id, at(1), drawInCircle, intent)).rejects.toThrow('killed');
      const reopened = await reopen();

      const drawn = recovered === 'after';
      expect((await reopened.getExchange(exchange.id))?.status).toBe(drawn ? 'drawn' : 'open');
      const giftees = await Promise.all(participants.map(async (p) => (await reopened.getMeView(p.tokenHash))?.giftee));
      expect(giftees.map((giftee) => giftee?.id ?? null)).toEqual(
        drawn ? [participants[1].id, participants[2].id, participants[0].id] : [null, null, null],
      );
      expect(await reopened.getIdempotencyRecord(intent.keyHash, at(0))).toEqual(
        drawn ? expect.objectContaining({ status: 200 }) : null,
      );
      await expectCleanTables();
    });

    it('stops the store when a write fails after its commit point; reopening completes the write', async () => {
      const failing = await open();
      const exchange = await failing.createExchange(newExchangeRecord());
      await seedHostileParticipants(failing, exchange.id, 3);
      vi.spyOn(PreparedCommit.prototype, 'apply').mockRejectedValueOnce(
        new CommitInDoubtError(dataDir, { cause: new Error('EIO') }),
      );

      await expect(failing.draw(exchange.id, at(1), drawInCircle)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(failing.getExchange(exchange.id)).rejects.toThrow('restart it to recover');
      await expect(failing.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      const reopened = await reopen();

      expect((await reopened.getExchange(exchange.id))?.status).toBe('drawn');
    });
  });

  it('never lets a read see half of a write that changes several files', async () => {
    const consistent = await open();
    const exchange = await consistent.createExchange(newExchangeRecord());
    const [giver, receiver] = await seedHostileParticipants(consistent, exchange.id, 2);
    await consistent.replaceExclusions(exchange.id, [{ giverId: giver.id, receiverId: receiver.id }]);
    let probe: { settledDuringPublish: boolean; result: Promise<ExchangeRecord | null> } | undefined;
    vi.spyOn(PreparedCommit.prototype, 'apply').mockImplementationOnce(async function (this: PreparedCommit) {
      // Publish by hand, with a read arriving between the two renames.
      const [first, second] = this.files;
      await rename(join(this.dir, first.staged), join(this.dir, first.target));
      const result = consistent.getExchange(exchange.id);
      let settled = false;
      result.then(
        () => (settled = true),
        () => (settled = true),
      );
      await setTimeout(50);
      probe = { settledDuringPublish: settled, result };
      await rename(join(this.dir, second.staged), join(this.dir, second.target));
      await rm(join(this.dir, COMMIT_RECORD_FILE));
    });

    await consistent.removeParticipant(exchange.id, giver.id);

    expect(probe?.settledDuringPublish, 'the read waits for the publish').toBe(false);
    const seen = await probe?.result;
    expect(seen && pickCounts(seen)).toEqual({ participantCount: 1, wishlistCount: 1, exclusionCount: 0 });
  });

  it('refuses a second process, and is reopened at once after that process is killed mid-write', { timeout: 60_000 }, async () => {
    const seeded = await open();
    const exchange = await seeded.createExchange(newExchangeRecord());
    await seeded.close();
    store = undefined;
    const writer = spawn(process.execPath, ['--import', 'tsx', WRITER_PROCESS, dataDir, exchange.id], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: writer.stdout });
      const progress = lines[Symbol.asyncIterator]();
      expect((await progress.next()).value).toBe('ready');

      const refusal = openCsvStore({ dataDir });
      await expect(refusal).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(refusal).rejects.toThrow(`${await realpath(dataDir)} is in use by another process (pid ${writer.pid})`);

      for (let line = await progress.next(); line.value !== 'wrote 20'; line = await progress.next()) {
        expect(line.done).toBe(false);
      }
    } finally {
      const exited = writer.exitCode !== null || writer.signalCode !== null ? Promise.resolve() : once(writer, 'exit');
      writer.kill('SIGKILL');
      await exited;
    }

    const recovered = await open();

    // Each write added a participant and its idempotency record in one commit: both or neither survive.
    const participantIds = (await parseTable('participants')).slice(1).map(([id]) => id);
    expect(participantIds.length).toBeGreaterThanOrEqual(20);
    const bodies = (await parseTable('idempotency')).slice(1).map(([, , , sealedBody]) => JSON.parse(sealedBody));
    expect(bodies.map(([added]) => added.id)).toEqual(participantIds);
    expect((await recovered.getExchange(exchange.id))?.participantCount).toBe(participantIds.length);
    await expectCleanTables();
  });

  describe('bulk rows', () => {
    async function seedBulk(writer: CsvStore) {
      const exchange = newExchangeRecord();
      await writer.writeRows('exchanges', [exchange]);
      const first = newParticipantRecords(exchange.id, 3);
      await writer.writeRows('participants', first);
      return { exchange, first };
    }

    it('appends a batch to its table file, leaving the rows already there byte for byte, and keeps it across a reopen', async () => {
      const writer = await open();
      const { exchange, first } = await seedBulk(writer);
      const before = await readFile(join(dataDir, TABLES.participants.file), 'utf8');
      const more = newParticipantRecords(exchange.id, 4, { wishlist: HOSTILE.slice(0, 4).join(' ') });

      await writer.writeRows('participants', more);

      const after = await readFile(join(dataDir, TABLES.participants.file), 'utf8');
      expect(after.startsWith(before)).toBe(true);
      const reopened = await reopen();
      expect(await reopened.readRows('participants', null, 10)).toHaveLength(7);
      expect(await reopened.getExchange(exchange.id)).toMatchObject({ participantCount: 7, wishlistCount: 4 });
      expect(await reopened.writeRows('participants', [...first, ...more])).toEqual({ written: 0, skipped: 7 });
      await expectCleanTables();
    });

    const appendCrashes: { when: string; written: (rows: string) => string }[] = [
      { when: 'right after its append record', written: () => '' },
      { when: 'part way through its rows', written: (rows) => rows.slice(0, rows.length / 2) },
      { when: 'after its rows, before the record was removed', written: (rows) => rows },
    ];

    it.each(appendCrashes)('rolls back a bulk write interrupted by a crash $when', async ({ written }) => {
      const crashing = await open();
      const { exchange, first } = await seedBulk(crashing);
      vi.spyOn(PreparedAppend.prototype, 'apply').mockImplementationOnce(async function (this: PreparedAppend, chunks) {
        await writeFile(join(this.dir, this.record.target), written([...chunks].join('')), { flag: 'a' });
        throw new Error('killed');
      });
      const lost = newParticipantRecords(exchange.id, 5);

      await expect(crashing.writeRows('participants', lost)).rejects.toThrow('killed');
      expect(await readdir(dataDir)).toContain(APPEND_RECORD_FILE);
      const reopened = await reopen();

      expect(await reopened.readRows('participants', null, 10)).toEqual(
        await Promise.all(first.map(async (participant) => (await reopened.getMeView(participant.tokenHash))?.participant)),
      );
      expect(await reopened.countRows('participants')).toBe(3);
      await expectCleanTables();
      expect(await reopened.writeRows('participants', lost)).toEqual({ written: 5, skipped: 0 });
    });

    it('stops the store when a bulk write fails after it began to append; reopening rolls it back', async () => {
      const failing = await open();
      const { exchange } = await seedBulk(failing);
      vi.spyOn(PreparedAppend.prototype, 'apply').mockRejectedValueOnce(
        new CommitInDoubtError(dataDir, { cause: new Error('EIO') }),
      );

      await expect(failing.writeRows('participants', newParticipantRecords(exchange.id, 2))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      await expect(failing.countRows('participants')).rejects.toThrow('restart it to recover');
      const reopened = await reopen();

      expect(await reopened.countRows('participants')).toBe(3);
    });

    it('opens an existing directory read-only: creates nothing, writes nothing, and still keeps other processes out', async () => {
      await expect(openCsvStore({ dataDir, readOnly: true })).rejects.toThrow(`${dataDir} does not exist.`);
      await expect(readdir(dataDir)).rejects.toThrow('ENOENT');
      await mkdir(dataDir);
      await expect(openCsvStore({ dataDir, readOnly: true })).rejects.toBeInstanceOf(DataDirFormatError);
      await rm(dataDir, { recursive: true });
      const { exchange } = await seedBulk(await open());
      await store?.close();
      const files = await Promise.all(tableFiles().map((file) => readFile(join(dataDir, file), 'utf8')));

      const reader = await openCsvStore({ dataDir, readOnly: true });
      store = reader;

      expect(await reader.countRows('participants')).toBe(3);
      expect(await reader.getExchange(exchange.id)).toMatchObject({ participantCount: 3 });
      await expect(reader.writeRows('participants', newParticipantRecords(exchange.id, 1))).rejects.toThrow('read-only');
      await expect(reader.createExchange(newExchangeRecord())).rejects.toThrow('read-only');
      await expect(openCsvStore({ dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
      expect(await Promise.all(tableFiles().map((file) => readFile(join(dataDir, file), 'utf8')))).toEqual(files);
    });
  });

  function tableFiles(): string[] {
    return TABLE_NAMES.map((name) => TABLES[name].file);
  }

  async function parseTable(name: TableName): Promise<string[][]> {
    return parse(await readFile(join(dataDir, TABLES[name].file))) as string[][];
  }

  /** Every table parses as strict CSV under its header, and no write left a file behind. */
  async function expectCleanTables(): Promise<void> {
    for (const name of TABLE_NAMES) {
      const [header, ...rows] = await parseTable(name);
      expect(header).toEqual(TABLES[name].columns);
      for (const row of rows) expect(row).toHaveLength(TABLES[name].columns.length);
    }
    expect((await readdir(dataDir)).sort()).toEqual([...tableFiles(), 'meta.json', 'store.lock'].sort());
  }
});

/** Text that breaks naive CSV handling or spreadsheet exports. */
const HOSTILE = [
  'comma, separated',
  'quote " inside',
  '"fully quoted"',
  'line\nbreak',
  'carriage\rreturn',
  'windows\r\nline end',
  "=cmd|' /C calc'!A0",
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1:A2)',
  '\tleading tab',
  '  padded  ',
  '🎅🏽 👨‍👩‍👧‍👦 🎁',
  'שלום עולם',
  'مرحبا بالعالم',
  '\u202Eright-to-left override',
  'back\\slash',
  '#not a comment',
  '',
];

async function seedHostileParticipants(target: ExchangeStore, exchangeId: string, count: number) {
  return target.addParticipants(
    exchangeId,
    HOSTILE.slice(0, count).map((text, index) =>
      newParticipantRecord(exchangeId, { name: `Guest ${text}`, wishlist: text, joinedAt: at(index) }),
    ),
  );
}
