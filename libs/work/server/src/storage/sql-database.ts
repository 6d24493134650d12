/** Runs SQL with `?` placeholders; rows come back as plain objects with numbers for integers and reals. */
export interface SqlExecutor {
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export type SqlValue = string | number | null;
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * One database the work server keeps its state in: SQLite (embedded, one process) or PostgreSQL (shared by
 * replicas). The SQL the server runs is written once (statements.ts); the two back ends differ only here.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly dialect: SqlDialect;
  /** `fn` runs in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** The applied schema version (number of migrations run). */
  schemaVersion(): Promise<number>;
  /** Resolves when the database answers a query; rejects (with the driver's error) when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
