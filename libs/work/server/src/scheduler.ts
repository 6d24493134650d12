import { SIEVE_APP, newSecret, secretMatchesHash, sha256Hex, type AttachReply, type AttachRequest, type SchedulerReply, type SchedulerRequest, type Task } from '@livelab/work-protocol';
import { unknownHost } from './errors';
import { generateWork } from './generator';
import type { ProjectOptions, WorkContext } from './project-options';
import type { HostRow } from './statements';
import { transition } from './transitioner';
import type { ValidatorOptions } from './validator';

/** The host `hostId` of account `userId` if `hostAuthenticator` is its authenticator (constant-time compare). */
async function findHost(ctx: WorkContext, userId: number, hostId: number, hostAuthenticator: string): Promise<HostRow | undefined> {
  const h = await ctx.q.hostOfAccount(hostId, userId);
  // hosts from before host authenticators have none (NULL): they cannot be claimed by anyone
  return secretMatchesHash(hostAuthenticator, h?.authenticator_hash) ? h : undefined;
}

/** Attach: keep the host when the client proves it holds it, else create a new host with a new authenticator. */
export async function attachHost(ctx: WorkContext, userId: number, req: AttachRequest): Promise<AttachReply> {
  const reply = (id: number, authenticator: string) => ({ host_id: id, host_authenticator: authenticator, user_id: userId, project_name: ctx.opts.projectName });
  if (req.host_id !== undefined && req.host_authenticator !== undefined) {
    const h = await findHost(ctx, userId, req.host_id, req.host_authenticator);
    if (h) {
      await ctx.q.updateHost(h.id, req.host, ctx.now);
      return reply(h.id, req.host_authenticator);
    }
  }
  // a new host with a new secret; only its hash is stored
  const authenticator = newSecret();
  const id = await ctx.q.insertHost(userId, req.host, ctx.now, sha256Hex(authenticator));
  return reply(id, authenticator);
}

function taskOf(o: ProjectOptions, r: { name: string; wu_name: string; lo: number; hi: number }, deadline: number, speed: number): Task {
  const nps = speed > 0 ? speed : o.defaultNumbersPerSecond;
  return {
    task_id: r.name,
    workunit: r.wu_name,
    app: { name: SIEVE_APP.name, version: SIEVE_APP.version },
    input: { lo: r.lo, hi: r.hi },
    deadline_ms: deadline,
    est_seconds: Math.max(1, Math.round(((r.hi - r.lo) / nps) * 10) / 10),
  };
}

/**
 * The scheduler RPC of an authenticated account, in one transaction: reports first (idempotent), then lost-task
 * resends, then the transitioner for the workunits reported, then new work (never two instances of one workunit
 * to one host or, with several accounts, to one account). The common RPC (one report, one new task) is about
 * ten statements: host, report, in-progress list, workunit lock, its results, verdict (+ credit, canonical),
 * assignment; the generator runs here only when nothing is left to send (the lease holder keeps the cushion).
 */
export async function scheduleHost(ctx: WorkContext, userId: number, req: SchedulerRequest, votesBy: ValidatorOptions['votesBy']): Promise<SchedulerReply> {
  const { q, opts: o, events, now } = ctx;
  // the update is rolled back with the transaction when the authenticator does not match
  const host = await q.touchHost(req.host_id, userId, req.host, now);
  if (!host || !secretMatchesHash(req.host_authenticator, host.authenticator_hash)) throw unknownHost(req.host_id);
  const messages: SchedulerReply['messages'] = [];
  const refused: string[] = [];

  // 1. reports (idempotent: every id is acked, whatever happened to it)
  const acks: string[] = [];
  const touched = new Set<number>();
  for (const r of req.results) {
    acks.push(r.task_id);
    const wuId = await q.recordReport(r.task_id, host.id, {
      outcome: r.outcome,
      receivedMs: now,
      elapsedS: r.elapsed_s,
      output: r.outcome === 'success' ? JSON.stringify(r.output) : null,
      error: r.outcome === 'client_error' ? r.error : null,
    });
    if (wuId !== undefined) {
      events.onReport?.(r.outcome, 'accepted');
      touched.add(wuId);
      continue;
    }
    // not recorded: find out why (rare)
    const row = await q.resultByName(r.task_id);
    if (!row) {
      events.onReport?.(r.outcome, 'ignored');
    } else if (row.host_id !== host.id) {
      // only the host the instance was sent to may report it (acked, so an honest client stops resending)
      events.onReport?.(r.outcome, 'refused');
      refused.push(r.task_id);
    } else {
      events.onReport?.(r.outcome, 'duplicate');
    }
  }
  for (const id of refused.slice(0, 10)) messages.push({ level: 'warning', text: `report for ${id} refused: not sent to this host` });
  if (refused.length > 10) messages.push({ level: 'warning', text: `${refused.length - 10} more reports refused: not sent to this host` });

  // 2. tasks the server thinks this host has but the host neither reports nor lists: resend (BOINC "lost results")
  const held = new Set([...req.in_progress, ...req.results.map((r) => r.task_id)]);
  const tasks: Task[] = [];
  for (const r of await q.inProgressOfHost(host.id)) {
    if (!held.has(r.name) && (r.deadline_ms ?? 0) > now) tasks.push(taskOf(o, r, r.deadline_ms ?? now, host.numbers_per_second));
  }
  if (tasks.length) messages.push({ level: 'notice', text: `resent ${tasks.length} lost task(s)` });

  // in id order: two RPCs lock the workunits they share in the same order (no deadlock between replicas)
  let credit = host.total_credit;
  for (const wu of [...touched].sort((a, b) => a - b)) credit += (await transition(ctx, wu, votesBy)).get(host.id) ?? 0;

  // 3. new work
  let wanted = req.work_req_seconds;
  for (const t of tasks) wanted -= t.est_seconds;
  if (wanted > 0) {
    let generated = false;
    while (wanted > 0 && tasks.length < o.maxTasksPerRpc) {
      const r = await q.assignNext(host.id, userId, votesBy === 'accounts', now);
      if (!r) {
        if (generated) break;
        // nothing left for this host: make more now rather than wait for the lease holder's pass
        await generateWork(ctx);
        generated = true;
        continue;
      }
      const t = taskOf(o, r, Number(r.deadline_ms), host.numbers_per_second);
      tasks.push(t);
      wanted -= t.est_seconds;
    }
    if (tasks.length === 0) messages.push({ level: 'info', text: 'no work available for this host right now' });
  }
  // the host's credit as this transaction sees it (credit granted by a concurrent RPC shows in the next reply)
  return { tasks, acks, request_delay_s: o.requestDelayS, messages, host_credit: credit };
}
