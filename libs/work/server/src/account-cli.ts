import { Accounts } from './accounts';
import { openWorkDatabase, type WorkDatabaseConfig } from './storage/open-database';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const USAGE = 'usage: work-server account create <name> | account disable <name> | account list';

/**
 * `work-server account create <name>` / `account disable <name>` / `account list` against the server's database (the server may be
 * running: SQLite WAL + busy timeout, or PostgreSQL). `create` prints the new account's id, account key and weak key once, as JSON; only
 * their sha256 digests are stored.
 */
export async function accountCommand(args: string[], database: WorkDatabaseConfig, now = Date.now()): Promise<CliResult> {
  const [verb, name, ...rest] = args;
  if (!(((verb === 'create' || verb === 'disable') && name && !rest.length) || (verb === 'list' && !name))) return { code: 2, stdout: '', stderr: `${USAGE}\n` };
  const db = await openWorkDatabase(database);
  try {
    const accounts = new Accounts(db);
    if (verb === 'list') return { code: 0, stdout: (await accounts.list()).map((a) => JSON.stringify(a) + '\n').join(''), stderr: '' };
    try {
      if (verb === 'disable') {
        const d = await accounts.disable(name, now);
        return { code: 0, stdout: `${JSON.stringify({ ...d, disabled: true })}\n`, stderr: `account ${d.id} "${d.name}" disabled: its keys are refused from now on\n` };
      }
      const created = await accounts.create(name, now);
      return {
        code: 0,
        stdout: `${JSON.stringify(created)}\n`,
        stderr: `account ${created.id} "${created.name}" created: keep the account key private, give hosts the weak key; neither can be shown again\n`,
      };
    } catch (err) {
      if (err instanceof RangeError) return { code: 2, stdout: '', stderr: `work-server: ${err.message}\n` };
      throw err;
    }
  } finally {
    await db.close();
  }
}
