import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreFactory } from '@santa/domain/testing';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../sqlite-store';

/** Temporary database files for the tests: a new file per `open()`, all removed by `cleanup()`. */
export class TempDatabases implements StoreFactory {
  private readonly directory = mkdtempSync(join(tmpdir(), 'santa-sqlite-'));
  private files = 0;
  private lastPath: string | undefined;

  constructor(private readonly options: Omit<SqliteStoreOptions, 'path'> = {}) {}

  newPath(): string {
    this.files += 1;
    return join(this.directory, `store-${this.files}.sqlite`);
  }

  async open(): Promise<SqliteStore> {
    this.lastPath = this.newPath();
    return openSqliteStore({ ...this.options, path: this.lastPath });
  }

  async reopen(): Promise<SqliteStore> {
    if (!this.lastPath) throw new Error('Nothing was opened yet.');
    return openSqliteStore({ ...this.options, path: this.lastPath });
  }

  /** The file of the most recent `open()`. */
  get path(): string {
    if (!this.lastPath) throw new Error('Nothing was opened yet.');
    return this.lastPath;
  }

  async cleanup(): Promise<void> {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
