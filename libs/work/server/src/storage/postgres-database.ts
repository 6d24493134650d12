import { createHash } from 'node:crypto';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from './postgres-migrations';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql-database';

// 64-bit integers (ids, ms timestamps, ranges ≤ 2^40, counts) and numeric sums come back as JS numbers: all stay below 2^53
const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** `?` placeholders → `$1, $2, …` (the SQL of statements.ts has no `?` inside literals). */
export function toPostgresPlaceholders(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

// serialization failures and deadlocks (replicas racing for the same rows), and unique violations of a racing
// insert: the transaction is run again on a fresh snapshot, after a jittered pause (10, 20, 40 … ms × 0.5–1.5) so
// the same two transactions do not collide again in lock step. A scheduler RPC holds its own host row (the host
// update) and a validation in it credits other hosts' rows, so two RPCs validating each other's workunits can
// deadlock; PostgreSQL breaks it (40P01) and the loser runs again (test/postgres.test.ts races 3 replicas).
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 10;
const retryPause = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(10 * 2 ** (attempt - 1), 500) * (0.5 + Math.random())));
// pg_advisory_xact_lock key serialising migrations of replicas starting at once
const MIGRATION_LOCK = 0x776f726b; // "work"

// Statements with parameters run as named prepared statements: parsed and planned once per connection, then
// only Bind/Execute (pg keeps the per-connection list of prepared names). The name is a digest of the text.
const named = new Map<string, { name: string; text: string }>();
function prepared(sql: string): { name: string; text: string } {
  let p = named.get(sql);
  if (!p) named.set(sql, (p = { name: `w${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`, text: toPostgresPlaceholders(sql) }));
  return p;
}

function executor(client: pg.PoolClient | pg.Pool): SqlExecutor {
  const query = async <T>(sql: string, params?: readonly SqlValue[]) =>
    params?.length
      ? client.query<T & pg.QueryResultRow>({ ...prepared(sql), values: params as SqlValue[] })
      : client.query<T & pg.QueryResultRow>(sql);
  return {
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (await query<T>(sql, params)).rows[0] as T | undefined,
    all: async <T>(sql: string, params?: readonly SqlValue[]) => (await query<T>(sql, params)).rows as T[],
    run: async (sql: string, params?: readonly SqlValue[]) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

/** PostgreSQL through a `pg` pool: any number of server replicas share one database. */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly top: SqlExecutor;

  constructor(readonly pool: pg.Pool) {
    this.top = executor(pool);
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.top.get<T>(sql, params);
  }
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.top.all<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.top.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (err as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw err;
      } finally {
        client.release();
      }
      await retryPause(attempt);
    }
  }

  async schemaVersion(): Promise<number> {
    const row = await this.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return Number(row?.v ?? 0);
  }

  /** `SELECT 1` within 2 s: readiness must answer quickly also when the database hangs. */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database did not answer within 2 s')), 2000);
    });
    try {
      await Promise.race([this.get('SELECT 1'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Connect to the PostgreSQL database at `url` and apply the migrations it lacks, up to `targetVersion`, each in
 * one transaction; replicas starting together take turns (an advisory lock).
 */
export async function openPostgresDatabase(url: string, opts: { targetVersion?: number; maxConnections?: number } = {}): Promise<PostgresDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: opts.maxConnections ?? 10, types, connectionTimeoutMillis: 5000 });
  // an idle client losing its connection (database restarted) must not crash the process; the next query reconnects
  pool.on('error', () => undefined);
  const db = new PostgresDatabase(pool);
  const target = opts.targetVersion ?? POSTGRES_MIGRATIONS.length;
  try {
    await db.transaction(async (tx) => {
      await tx.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)');
    });
    for (let v = 0; v < target; v++) {
      await db.transaction(async (tx) => {
        await tx.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
        if (await tx.get('SELECT 1 FROM schema_migrations WHERE version = ?', [v + 1])) return;
        await tx.run(POSTGRES_MIGRATIONS[v]);
        await tx.run('INSERT INTO schema_migrations(version, applied_ms) VALUES (?, ?)', [v + 1, Date.now()]);
      });
    }
    const current = await db.schemaVersion();
    if (current > POSTGRES_MIGRATIONS.length) throw new Error(`database schema version ${current} is newer than this server (${POSTGRES_MIGRATIONS.length})`);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return db;
}
