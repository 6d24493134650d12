import { z } from 'zod';

/**
 * Scheduler protocol /v1 (see docs/protocol.md). JSON over HTTP; both ends validate every message with these
 * schemas. Modelled on BOINC's scheduler RPC: one request carries finished results, tasks still in progress and
 * the seconds of work wanted; the reply carries new tasks, acks, a request delay and messages.
 */
export const API_PREFIX = '/v1';
export const SIEVE_APP = { name: 'sieve', version: 1 } as const;
/** Largest range end the sieve computes exactly. */
export const MAX_RANGE_HI = 2 ** 40;

const key = z.string().min(8, 'authenticator too short').max(256, 'authenticator too long');
/** The host authenticator the server issued at attach: 32 random bytes, lower-case hex. */
const hostKey = z.string().regex(/^[0-9a-f]{64}$/, 'host_authenticator must be the 64 hex digits issued at attach');
const hostId = z.number().int().positive().max(2 ** 53 - 1);
const taskId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'task id may contain A-Z a-z 0-9 _ . - only');

export const HostInfoSchema = z.strictObject({
  name: z.string().max(128).default(''),
  cores: z.number().int().min(1).max(4096),
  memory_mb: z.number().int().min(0).max(1 << 30),
  /** measured sieve speed in numbers per second (0 = unknown) */
  numbers_per_second: z.number().min(0).max(1e13).default(0),
});
export type HostInfo = z.infer<typeof HostInfoSchema>;

export const AttachRequestSchema = z.strictObject({
  authenticator: key,
  /** host id and host authenticator the client got before: the server keeps the id when both match this account */
  host_id: hostId.optional(),
  host_authenticator: hostKey.optional(),
  host: HostInfoSchema,
  client_version: z.string().max(64).default(''),
});
export type AttachRequest = z.infer<typeof AttachRequestSchema>;

export const AttachReplySchema = z.strictObject({
  host_id: hostId,
  /** secret proving this host's identity: sent with every scheduler request; the server stores only its hash */
  host_authenticator: hostKey,
  user_id: z.number().int().positive(),
  project_name: z.string(),
});
export type AttachReply = z.infer<typeof AttachReplySchema>;

export const SieveInputSchema = z
  .strictObject({ lo: z.number().int().min(0), hi: z.number().int().max(MAX_RANGE_HI) })
  .refine((r) => r.lo < r.hi, 'lo must be below hi');
export type SieveInput = z.infer<typeof SieveInputSchema>;

export const SieveOutputSchema = z.strictObject({
  count: z.number().int().min(0).max(MAX_RANGE_HI),
  sum: z.string().refine(isUint64Decimal, 'sum must be a decimal integer < 2^64'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
});
export type SieveOutput = z.infer<typeof SieveOutputSchema>;

export const ReportedResultSchema = z.discriminatedUnion('outcome', [
  z.strictObject({
    task_id: taskId,
    outcome: z.literal('success'),
    output: SieveOutputSchema,
    elapsed_s: z.number().min(0).max(1e7),
  }),
  z.strictObject({
    task_id: taskId,
    outcome: z.literal('client_error'),
    error: z.string().max(1000),
    elapsed_s: z.number().min(0).max(1e7),
  }),
]);
export type ReportedResult = z.infer<typeof ReportedResultSchema>;

export const SchedulerRequestSchema = z.strictObject({
  authenticator: key,
  host_id: hostId,
  host_authenticator: hostKey,
  host: HostInfoSchema,
  /** seconds of work wanted: (work buffer min + extra) minus what the client has queued; 0 = report only */
  work_req_seconds: z.number().min(0).max(30 * 86400),
  results: z.array(ReportedResultSchema).max(1000),
  /** task ids the client still holds unfinished; the server resends its in-progress tasks missing here */
  in_progress: z.array(taskId).max(1000),
});
export type SchedulerRequest = z.infer<typeof SchedulerRequestSchema>;

export const TaskSchema = z.strictObject({
  task_id: taskId,
  workunit: z.string(),
  app: z.strictObject({ name: z.literal(SIEVE_APP.name), version: z.number().int() }),
  input: SieveInputSchema,
  /** report deadline, epoch milliseconds */
  deadline_ms: z.number().int(),
  est_seconds: z.number().min(0),
});
export type Task = z.infer<typeof TaskSchema>;

export const MessageSchema = z.strictObject({
  level: z.enum(['info', 'notice', 'warning']),
  text: z.string(),
});

export const SchedulerReplySchema = z.strictObject({
  tasks: z.array(TaskSchema),
  /** every reported task id, whether it was accepted, a duplicate, or unknown */
  acks: z.array(taskId),
  /** do not send another scheduler request before this many seconds */
  request_delay_s: z.number().min(0),
  messages: z.array(MessageSchema),
  /** credit granted to this host so far */
  host_credit: z.number().min(0),
});
export type SchedulerReply = z.infer<typeof SchedulerReplySchema>;

/**
 * Error codes of `{error, reason}` replies; clients switch on the code, never on the reason text.
 * - `unauthorized` (401): the account key is missing or matches no account;
 * - `unknown_host` (401): the host id is unknown to this account or the host authenticator is missing or wrong —
 *   attach again;
 * - `rate_limited` (429): too many attaches for this account; `Retry-After` says when to retry.
 */
export const ERROR_CODES = ['bad_request', 'unauthorized', 'unknown_host', 'rate_limited', 'not_found', 'payload_too_large', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
/** `error` stays a string so a newer server's codes still parse; compare with the ERROR_CODES values. */
export const ErrorReplySchema = z.object({ error: z.string(), reason: z.string() });
export type ErrorReply = z.infer<typeof ErrorReplySchema>;

/** The HTTP status each error code is sent with. */
export const ERROR_STATUS: { readonly [C in ErrorCode]: number } = {
  bad_request: 400,
  unauthorized: 401,
  unknown_host: 401,
  rate_limited: 429,
  not_found: 404,
  payload_too_large: 413,
  internal: 500,
};

/** The code of an error reply, or undefined for a code this version does not know (a newer server's). */
export function errorCodeOf(reply: ErrorReply): ErrorCode | undefined {
  return (ERROR_CODES as readonly string[]).includes(reply.error) ? (reply.error as ErrorCode) : undefined;
}

/** A refusal with its code: the server throws it and answers `ERROR_STATUS[code] {error: code, reason}`. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    reason: string,
    /** seconds, sent as `Retry-After` */
    readonly retryAfterS?: number,
  ) {
    super(reason);
    this.name = 'ProtocolError';
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
  toReply(): ErrorReply {
    return { error: this.code, reason: this.message };
  }
}

const UINT64_MAX = '18446744073709551615';
/** Is `s` a canonical decimal integer (no sign, no leading zero) below 2^64? Exact, no floating point. */
export function isUint64Decimal(s: string): boolean {
  if (!/^(0|[1-9]\d{0,19})$/.test(s)) return false;
  return s.length < UINT64_MAX.length || s <= UINT64_MAX;
}

/** One line naming the first problem of a failed zod parse: `results.0.output.sha256: sha256 must be …`. */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Known values of π(x) used by the server's summary check. */
export const KNOWN_PI: ReadonlyArray<{ x: number; pi: number }> = [
  { x: 1e6, pi: 78_498 },
  { x: 1e7, pi: 664_579 },
  { x: 1e8, pi: 5_761_455 },
  { x: 1e9, pi: 50_847_534 },
  { x: 1e10, pi: 455_052_511 },
  { x: 1e11, pi: 4_118_054_813 },
];
