// Watching child processes from outside, as tests and benchmarks do: a child whose JSON log lines (our services'
// pino output) are collected with the time each was read, and the pids of a process's children (from /proc, Linux).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface LogLine {
  msg: string;
  /** Date.now() when the line was read. */
  at: number;
  [field: string]: unknown;
}

/** Spawns `command` with stdout piped; every stdout line that is a JSON object lands in `logs`. */
export function spawnWithJsonLogs(command: string, args: string[], opts: SpawnOptions = {}): { child: ChildProcess; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      logs.push({ ...JSON.parse(line), at: Date.now() });
    } catch {
      /* not a log line */
    }
  });
  return { child, logs };
}

/** The pids of `pid`'s direct children. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
