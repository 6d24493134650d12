import Database from 'better-sqlite3';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql-database';
import { SQLITE_MIGRATIONS } from './sqlite-migrations';

/**
 * SQLite through better-sqlite3 (synchronous) behind the asynchronous `SqlDatabase` contract. One connection, so
 * transactions are serialised by a queue: a transaction holds it from `BEGIN IMMEDIATE` to `COMMIT`, and a query
 * outside a transaction waits for it. Statements are prepared once per SQL text.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tx: SqlExecutor;

  constructor(readonly raw: Database.Database) {
    const stmt = (sql: string) => {
      let s = this.statements.get(sql);
      if (!s) this.statements.set(sql, (s = raw.prepare(sql)));
      return s;
    };
    const args = (params: readonly SqlValue[] | undefined) => (params ?? []) as SqlValue[];
    this.tx = {
      get: async <T>(sql: string, params?: readonly SqlValue[]) => stmt(sql).get(...args(params)) as T | undefined,
      all: async <T>(sql: string, params?: readonly SqlValue[]) => stmt(sql).all(...args(params)) as T[],
      run: async (sql: string, params?: readonly SqlValue[]) => ({ changes: stmt(sql).run(...args(params)).changes }),
    };
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.exclusive(() => this.tx.get<T>(sql, params));
  }
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exclusive(() => this.tx.all<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.exclusive(() => this.tx.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.tx);
        this.raw.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async schemaVersion(): Promise<number> {
    return this.raw.pragma('user_version', { simple: true }) as number;
  }

  async ping(): Promise<void> {
    if (!this.raw.open) throw new Error('database closed');
    await this.get('SELECT 1');
  }

  async close(): Promise<void> {
    await this.exclusive(async () => this.raw.close());
  }
}

/**
 * Open (or create) the SQLite database at `path`: WAL, foreign keys, migrations applied in one transaction each,
 * up to `targetVersion` (default: the newest; a test builds an old database with a lower one).
 */
export function openSqliteDatabase(path: string, targetVersion = SQLITE_MIGRATIONS.length): SqliteDatabase {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SQLITE_MIGRATIONS.length) {
    db.close();
    throw new Error(`database schema version ${current} is newer than this server (${SQLITE_MIGRATIONS.length})`);
  }
  for (let v = current; v < targetVersion; v++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return new SqliteDatabase(db);
}
