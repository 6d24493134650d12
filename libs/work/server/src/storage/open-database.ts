import { openPostgresDatabase } from './postgres-database';
import type { SqlDatabase } from './sql-database';
import { openSqliteDatabase } from './sqlite-database';

/** Where the work server keeps its state: an SQLite file (the default) or a PostgreSQL database shared by replicas. */
export type WorkDatabaseConfig = { sqlitePath: string } | { postgresUrl: string };

/** Open the database and bring its schema up to date. */
export async function openWorkDatabase(config: WorkDatabaseConfig): Promise<SqlDatabase> {
  return 'postgresUrl' in config ? openPostgresDatabase(config.postgresUrl) : openSqliteDatabase(config.sqlitePath);
}

/** For logs: the back end and where, never a password. */
export function describeDatabase(config: WorkDatabaseConfig): string {
  if ('sqlitePath' in config) return `sqlite:${config.sqlitePath}`;
  try {
    const u = new URL(config.postgresUrl);
    return `postgres://${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}
