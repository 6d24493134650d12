import { cpus, hostname, totalmem } from 'node:os';
import {
  API_PREFIX,
  AttachReplySchema,
  ErrorReplySchema,
  errorCodeOf,
  SchedulerReplySchema,
  type ErrorCode,
  type ReportedResult,
  type SchedulerReply,
  type SchedulerRequest,
} from '@livelab/work-protocol';
import { Backoff, Counter, Gauge, sleep, type Logger, type Registry } from '@livelab/service-kit';
import type { SieveCheckpoint, SieveResult } from '@livelab/work-sieve';
import { mayRun, type RunMode } from './run-mode';
import { StateStore, type ClientState, type TaskState } from './state-store';
import { TaskRun, defaultWorkerSpec, type WorkerSpec } from './task-runner';

export interface WorkClientOptions {
  serverUrl: string;
  accountKey: string;
  stateDir: string;
  logger: Logger;
  registry: Registry;
  runMode: RunMode;
  /** tasks computed at once (default 1) */
  ncpus?: number;
  /** keep at least this many seconds of work queued (BOINC work_buf_min_days) … */
  workBufMinS?: number;
  /** … and fetch up to this many more when topping up (work_buf_additional_days) */
  workBufExtraS?: number;
  /** backoff after a failed RPC: first delay and cap (BOINC: 60 s → 4 h) */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** write the running task's checkpoint to disk at most this often */
  checkpointIntervalMs?: number;
  progressLogIntervalMs?: number;
  /** main loop period */
  tickMs?: number;
  /** TEST ONLY: corrupt every result before reporting it (proves the quorum rejects bad hosts) */
  faultCorruptResults?: boolean;
  worker?: WorkerSpec;
  hostName?: string;
  rpcTimeoutMs?: number;
}

export interface TaskStatus {
  task_id: string;
  workunit: string;
  range: { lo: number; hi: number };
  status: TaskState['status'];
  progress_percent: number;
  eta_s: number | null;
  elapsed_s: number;
  deadline_ms: number;
}

export interface ClientStatus {
  server_url: string;
  host_id: number | null;
  run_mode: { mode: RunMode['mode']; window?: string; computing_allowed: boolean };
  credit: number;
  numbers_per_second: number;
  next_rpc_in_s: number;
  rpc_failures_in_a_row: number;
  fault_corrupt_results: boolean;
  tasks: TaskStatus[];
}

class RpcError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** the `error` code of the server's `{error, reason}` reply (undefined: no reply, or a code this client does not know) */
    readonly code?: ErrorCode,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** What the client does about a refused request, decided by its code alone (never by the reason text). */
export function reactionToError(code: ErrorCode | undefined): 'attach_again' | 'wait_retry_after' | 'back_off' {
  switch (code) {
    case 'unknown_host':
      return 'attach_again';
    case 'rate_limited':
      return 'wait_retry_after';
    case 'bad_request':
    case 'unauthorized':
    case 'not_found':
    case 'payload_too_large':
    case 'internal':
    case undefined:
      return 'back_off';
  }
}

/**
 * The volunteer client: attach, fetch work to keep the buffer full, compute each task in a worker thread with
 * checkpoints, keep finished results on disk until acked, obey request_delay, back off on failures.
 */
export class WorkClient {
  private readonly o: Required<Omit<WorkClientOptions, 'hostName'>> & { hostName: string };
  private readonly store: StateStore;
  private state!: ClientState;
  private readonly runs = new Map<string, { run: TaskRun; startedAt: number; elapsedBefore: number }>();
  private readonly backoff: Backoff;
  private readonly noWorkBackoff: Backoff;
  private nextRpcAt = 0;
  private lastPersist = 0;
  private lastProgressLog = 0;
  private stopping = false;
  private readonly abort = new AbortController();
  private loopDone?: Promise<void>;
  private wake?: () => void;
  private readonly m;

  constructor(opts: WorkClientOptions) {
    this.o = {
      ncpus: 1,
      workBufMinS: 60,
      workBufExtraS: 120,
      backoffMinMs: 60_000,
      backoffMaxMs: 4 * 3600_000,
      checkpointIntervalMs: 10_000,
      progressLogIntervalMs: 30_000,
      tickMs: 1000,
      faultCorruptResults: false,
      worker: defaultWorkerSpec(),
      hostName: hostname(),
      rpcTimeoutMs: 30_000,
      ...opts,
    } as typeof this.o;
    this.o.serverUrl = this.o.serverUrl.replace(/\/+$/, '');
    this.store = new StateStore(this.o.stateDir);
    this.backoff = new Backoff(this.o.backoffMinMs, this.o.backoffMaxMs);
    this.noWorkBackoff = new Backoff(this.o.backoffMinMs, this.o.backoffMaxMs);
    const r = opts.registry;
    this.m = {
      rpcs: new Counter({ name: 'work_client_rpcs_total', help: 'Scheduler requests by result', labelNames: ['result'], registers: [r] }),
      reported: new Counter({ name: 'work_client_results_reported_total', help: 'Results acked by the server', registers: [r] }),
      computed: new Counter({ name: 'work_client_tasks_computed_total', help: 'Tasks finished by this client', registers: [r] }),
      numbers: new Counter({ name: 'work_client_numbers_sieved_total', help: 'Numbers sieved', registers: [r] }),
      tasks: new Gauge({ name: 'work_client_tasks', help: 'Tasks held, by status', labelNames: ['status'], registers: [r] }),
      credit: new Gauge({ name: 'work_client_credit', help: 'Credit granted to this host', registers: [r] }),
    };
  }

  get runMode(): RunMode {
    return this.o.runMode;
  }

  setRunMode(mode: RunMode): void {
    this.o.runMode = mode;
    this.o.logger.info({ runMode: mode.mode, window: mode.window?.text }, 'run mode set');
    this.wake?.();
  }

  /** Load state and start the main loop (returns at once). */
  start(): void {
    this.state = this.store.load(this.o.serverUrl);
    const held = this.state.tasks.length;
    if (held) this.o.logger.info({ tasks: held }, 'resuming tasks from state directory');
    this.loopDone = this.loop();
  }

  /** SIGTERM path: stop workers at a segment boundary, save their checkpoints, end the loop. */
  async stop(): Promise<void> {
    if (this.stopping) return this.loopDone;
    this.stopping = true;
    this.abort.abort();
    this.wake?.();
    await Promise.all([...this.runs.keys()].map((id) => this.stopTask(id)));
    this.persist(true);
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
      } catch (err) {
        this.o.logger.error({ err }, 'client step failed');
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(this.o.tickMs, this.abort.signal).then(resolve);
      });
    }
  }

  private async step(): Promise<void> {
    const now = Date.now();
    const allowed = mayRun(this.o.runMode);
    // computing
    if (!allowed) {
      for (const id of [...this.runs.keys()]) await this.stopTask(id);
    } else this.startQueued();
    if (now - this.lastPersist >= this.o.checkpointIntervalMs) this.persist();
    if (now - this.lastProgressLog >= this.o.progressLogIntervalMs) this.logProgress(now);
    this.updateGauges();

    // scheduler RPC
    if (now < this.nextRpcAt) return;
    const finished = this.state.tasks.filter((t) => t.status === 'finished' && t.report);
    const wantSeconds = allowed ? this.workRequestSeconds() : 0;
    if (!finished.length && wantSeconds <= 0 && this.state.host_id && this.state.host_authenticator) return;
    try {
      // a state directory from before host authenticators: its host can no longer be used
      if (this.state.host_id && !this.state.host_authenticator) await this.forgetHost('the state directory has no host authenticator');
      if (!this.state.host_id) await this.attach();
      const reply = await this.schedulerRpc(finished.map((t) => t.report as ReportedResult), wantSeconds);
      this.apply(reply);
      this.backoff.reset();
      let delayMs = reply.request_delay_s * 1000;
      // asked for work and got none: back off like after a failure (BOINC does the same), but keep reporting
      if (wantSeconds > 0 && reply.tasks.length === 0) delayMs = Math.max(delayMs, this.noWorkBackoff.next());
      else if (reply.tasks.length) this.noWorkBackoff.reset();
      this.nextRpcAt = Date.now() + delayMs;
      this.m.rpcs.inc({ result: 'ok' });
    } catch (err) {
      let delay = this.backoff.next();
      const code = err instanceof RpcError ? err.code : undefined;
      const reaction = reactionToError(code);
      if (reaction === 'wait_retry_after' && err instanceof RpcError && err.retryAfterS !== undefined) delay = Math.max(delay, err.retryAfterS * 1000);
      this.nextRpcAt = Date.now() + delay;
      this.m.rpcs.inc({ result: 'failed' });
      this.o.logger.warn({ err: (err as Error).message, code, retryInMs: delay, failures: this.backoff.attempts }, 'scheduler request failed, backing off');
      if (reaction === 'attach_again') await this.forgetHost('the server does not know this host');
    }
  }

  /**
   * This host identity cannot be used (the server does not know it or its authenticator): attach again as a new
   * host. The tasks held were sent to the old host id, so the server would refuse their reports: drop them (their
   * deadlines pass, the server reissues them).
   */
  private async forgetHost(why: string): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.stopTask(id)));
    const dropped = this.state.tasks.length;
    this.o.logger.warn({ hostId: this.state.host_id, droppedTasks: dropped }, `${why}: attaching again as a new host`);
    this.state.host_id = undefined;
    this.state.host_authenticator = undefined;
    this.state.tasks = [];
    this.persist(true);
    this.nextRpcAt = 0;
  }

  private workRequestSeconds(): number {
    const nps = this.state.numbers_per_second;
    let buffered = 0;
    for (const t of this.state.tasks) {
      if (t.status === 'finished') continue;
      const span = t.task.input.hi - t.task.input.lo;
      const done = this.fractionDone(t);
      buffered += (nps > 0 ? span / nps : t.task.est_seconds) * (1 - done);
    }
    buffered /= this.o.ncpus;
    if (buffered >= this.o.workBufMinS) return 0;
    return Math.max(1, this.o.workBufMinS + this.o.workBufExtraS - buffered) * this.o.ncpus;
  }

  private fractionDone(t: TaskState): number {
    if (t.status === 'finished') return 1;
    const cp = this.runs.get(t.task.task_id)?.run.lastCheckpoint ?? t.checkpoint;
    if (!cp) return 0;
    const total = Math.ceil((t.task.input.hi - t.task.input.lo) / 2 ** 20);
    return total ? Math.min(1, cp.chunksDone / total) : 1;
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.o.serverUrl}${API_PREFIX}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.rpcTimeoutMs)]),
      });
    } catch (err) {
      throw new RpcError(`cannot reach ${this.o.serverUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let reason = text.slice(0, 200);
      let code: ErrorCode | undefined;
      try {
        const e = ErrorReplySchema.safeParse(JSON.parse(text));
        if (e.success) {
          reason = e.data.reason;
          code = errorCodeOf(e.data);
        }
      } catch {
        /* not JSON */
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new RpcError(`${path} → HTTP ${res.status}: ${reason}`, res.status, code, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcError(`${path} → HTTP ${res.status} but the reply is not JSON (is ${this.o.serverUrl} a work server?)`);
    }
  }

  private hostInfo() {
    return { name: this.o.hostName.slice(0, 128), cores: Math.max(1, cpus().length), memory_mb: Math.round(totalmem() / 2 ** 20), numbers_per_second: this.state.numbers_per_second };
  }

  private async attach(): Promise<void> {
    const reply = AttachReplySchema.parse(await this.post('/attach', { authenticator: this.o.accountKey, host: this.hostInfo(), client_version: 'livelab-work-client/2' }));
    this.state.host_id = reply.host_id;
    this.state.host_authenticator = reply.host_authenticator;
    this.persist(true);
    this.o.logger.info({ hostId: reply.host_id, project: reply.project_name }, 'attached to project');
  }

  private async schedulerRpc(results: ReportedResult[], wantSeconds: number): Promise<SchedulerReply> {
    const req: SchedulerRequest = {
      authenticator: this.o.accountKey,
      host_id: this.state.host_id as number,
      host_authenticator: this.state.host_authenticator as string,
      host: this.hostInfo(),
      work_req_seconds: Math.round(wantSeconds),
      results,
      in_progress: this.state.tasks.filter((t) => t.status !== 'finished').map((t) => t.task.task_id),
    };
    const parsed = SchedulerReplySchema.safeParse(await this.post('/scheduler', req));
    if (!parsed.success) throw new RpcError(`malformed scheduler reply: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  private apply(reply: SchedulerReply): void {
    const acked = new Set(reply.acks);
    const before = this.state.tasks.length;
    this.state.tasks = this.state.tasks.filter((t) => !(t.status === 'finished' && acked.has(t.task.task_id)));
    const nAcked = before - this.state.tasks.length;
    if (nAcked) this.m.reported.inc(nAcked);
    const known = new Set(this.state.tasks.map((t) => t.task.task_id));
    for (const task of reply.tasks) {
      if (known.has(task.task_id)) continue;
      this.state.tasks.push({ task, status: 'queued', elapsed_s: 0 });
    }
    this.state.credit = reply.host_credit;
    this.startQueued();
    this.persist(true);
    for (const msg of reply.messages) {
      if (msg.level === 'info') this.o.logger.debug({ serverLevel: msg.level }, `server: ${msg.text}`);
      else this.o.logger.info({ serverLevel: msg.level }, `server: ${msg.text}`);
    }
    if (nAcked || reply.tasks.length) this.o.logger.info({ acked: nAcked, newTasks: reply.tasks.length, credit: reply.host_credit, requestDelayS: reply.request_delay_s }, 'scheduler reply');
    this.wake?.();
  }

  /** Start queued tasks (earliest deadline first) on free cores, if the run mode allows. */
  private startQueued(): void {
    if (this.stopping || !mayRun(this.o.runMode)) return;
    const queued = this.state.tasks.filter((t) => t.status === 'queued').sort((a, b) => a.task.deadline_ms - b.task.deadline_ms);
    while (this.runs.size < this.o.ncpus && queued.length) this.startTask(queued.shift() as TaskState);
  }

  private startTask(t: TaskState): void {
    t.status = 'running';
    const id = t.task.task_id;
    const run = new TaskRun(this.o.worker, t.task.input.lo, t.task.input.hi, t.checkpoint, (cp) => {
      // a segment boundary: the checkpoint goes to disk at most every checkpointIntervalMs
      t.checkpoint = cp;
      if (Date.now() - this.lastPersist >= this.o.checkpointIntervalMs) this.persist();
    });
    this.runs.set(id, { run, startedAt: Date.now(), elapsedBefore: t.elapsed_s });
    this.o.logger.info({ task: id, range: t.task.input, resumeFromChunk: t.checkpoint?.chunksDone ?? 0 }, 'task started');
    void run.finished.then((o) => {
      const entry = this.runs.get(id);
      this.runs.delete(id);
      if (!entry) return;
      t.elapsed_s = entry.elapsedBefore + (Date.now() - entry.startedAt) / 1000;
      if (o.kind === 'done') this.finishTask(t, o.result);
      else if (o.kind === 'stopped') {
        t.status = 'queued';
        if (o.checkpoint) t.checkpoint = o.checkpoint;
      } else {
        this.o.logger.error({ task: id, error: o.message }, 'task failed');
        t.status = 'finished';
        t.report = { task_id: id, outcome: 'client_error', error: o.message.slice(0, 1000), elapsed_s: t.elapsed_s };
      }
      // keep the core busy: start the next queued task before the (fsync'ed) state write
      if (o.kind !== 'stopped') this.startQueued();
      this.persist(true);
      this.wake?.();
    });
  }

  private finishTask(t: TaskState, result: SieveResult): void {
    let output = result;
    if (this.o.faultCorruptResults) {
      // TEST ONLY fault: a wrong count and hash, as a broken host would send
      output = { count: result.count + 1, sum: result.sum, sha256: result.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    }
    const span = t.task.input.hi - t.task.input.lo;
    if (t.elapsed_s > 0) {
      const nps = span / t.elapsed_s;
      this.state.numbers_per_second = this.state.numbers_per_second ? 0.7 * this.state.numbers_per_second + 0.3 * nps : nps;
    }
    t.status = 'finished';
    t.checkpoint = undefined;
    t.report = { task_id: t.task.task_id, outcome: 'success', output, elapsed_s: Math.round(t.elapsed_s * 1000) / 1000 };
    this.m.computed.inc();
    this.m.numbers.inc(span);
    this.o.logger.info({ task: t.task.task_id, count: output.count, elapsedS: t.elapsed_s }, 'task finished');
  }

  private async stopTask(id: string): Promise<void> {
    const entry = this.runs.get(id);
    if (!entry) return;
    await entry.run.stop();
  }

  private persist(force = false): void {
    if (!this.state) return;
    if (!force && !this.runs.size) return;
    this.store.save(this.state);
    this.lastPersist = Date.now();
  }

  private logProgress(now: number): void {
    this.lastProgressLog = now;
    for (const t of this.status().tasks.filter((x) => x.status === 'running')) {
      this.o.logger.info({ task: t.task_id, progressPercent: t.progress_percent, etaS: t.eta_s }, 'task progress');
    }
  }

  private updateGauges(): void {
    for (const s of ['queued', 'running', 'finished'] as const) this.m.tasks.set({ status: s }, this.state.tasks.filter((t) => t.status === s).length);
    this.m.credit.set(this.state.credit);
  }

  status(): ClientStatus {
    const now = Date.now();
    const tasks: TaskStatus[] = (this.state?.tasks ?? []).map((t) => {
      const f = this.fractionDone(t);
      const entry = this.runs.get(t.task.task_id);
      const elapsed = entry ? entry.elapsedBefore + (now - entry.startedAt) / 1000 : t.elapsed_s;
      const span = t.task.input.hi - t.task.input.lo;
      const nps = this.state.numbers_per_second;
      let eta: number | null = null;
      if (t.status !== 'finished') eta = nps > 0 ? (span * (1 - f)) / nps : f > 0 && elapsed > 0 ? (elapsed * (1 - f)) / f : t.task.est_seconds;
      return {
        task_id: t.task.task_id,
        workunit: t.task.workunit,
        range: t.task.input,
        status: t.status,
        progress_percent: Math.round(f * 1000) / 10,
        eta_s: eta === null ? null : Math.round(eta * 10) / 10,
        elapsed_s: Math.round(elapsed * 10) / 10,
        deadline_ms: t.task.deadline_ms,
      };
    });
    return {
      server_url: this.o.serverUrl,
      host_id: this.state?.host_id ?? null,
      run_mode: { mode: this.o.runMode.mode, window: this.o.runMode.window?.text, computing_allowed: mayRun(this.o.runMode) },
      credit: this.state?.credit ?? 0,
      numbers_per_second: Math.round(this.state?.numbers_per_second ?? 0),
      next_rpc_in_s: Math.max(0, Math.round((this.nextRpcAt - now) / 100) / 10),
      rpc_failures_in_a_row: this.backoff.attempts,
      fault_corrupt_results: this.o.faultCorruptResults,
      tasks,
    };
  }
}

export type { SieveCheckpoint };
