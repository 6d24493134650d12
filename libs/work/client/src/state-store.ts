import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, fchmodSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ReportedResultSchema, TaskSchema } from '@livelab/work-protocol';

const CheckpointSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  chunksDone: z.number().int().min(0),
  count: z.number().int().min(0),
  sum: z.string(),
  sha256: z.string(),
});

export const TaskStateSchema = z.object({
  task: TaskSchema,
  status: z.enum(['queued', 'running', 'finished']),
  checkpoint: CheckpointSchema.optional(),
  /** the finished result, kept until the server acks it */
  report: ReportedResultSchema.optional(),
  /** compute seconds so far (over all runs) */
  elapsed_s: z.number().min(0).default(0),
});
export type TaskState = z.infer<typeof TaskStateSchema>;

export const ClientStateSchema = z.object({
  version: z.literal(1),
  server_url: z.string(),
  host_id: z.number().int().positive().optional(),
  /** the secret the server issued with host_id at attach; sent with every scheduler request */
  host_authenticator: z.string().optional(),
  credit: z.number().min(0).default(0),
  numbers_per_second: z.number().min(0).default(0),
  tasks: z.array(TaskStateSchema),
});
export type ClientState = z.infer<typeof ClientStateSchema>;

/**
 * The client's state directory: one JSON file, replaced atomically (write temp, fsync, rename), readable by the
 * owner only (it holds the host authenticator).
 */
export class StateStore {
  readonly file: string;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'client-state.json');
  }

  load(serverUrl: string): ClientState {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, server_url: serverUrl, credit: 0, numbers_per_second: 0, tasks: [] };
      throw err;
    }
    const state = ClientStateSchema.parse(JSON.parse(text));
    if (state.server_url !== serverUrl) {
      // another project: host id and tasks belong to the old server
      return { version: 1, server_url: serverUrl, credit: 0, numbers_per_second: state.numbers_per_second, tasks: [] };
    }
    // a task that was running when the process stopped resumes from its checkpoint
    for (const t of state.tasks) if (t.status === 'running') t.status = 'queued';
    return state;
  }

  save(state: ClientState): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    try {
      fchmodSync(fd, 0o600); // also when a stale temp file from before had other bits
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}
