import type { WorkStatements } from './statements';

export interface ProjectOptions {
  projectName: string;
  /** account 1's key (WORK_ACCOUNT_KEY); more accounts: `Accounts.create` (`work-server account create`) */
  accountKey: string;
  /** attaches per account: a token bucket of this many … */
  attachBurst: number;
  /** … refilled with one every this many seconds */
  attachRefillS: number;
  /** the range to sieve, [rangeLo, rangeHi) */
  rangeLo: number;
  rangeHi: number;
  /** numbers per workunit; units are also split at each x of KNOWN_PI (10^6 … 10^10) so π(x) can be checked */
  unitSpan: number;
  minQuorum: number;
  targetNResults: number;
  maxErrorResults: number;
  maxTotalResults: number;
  /** seconds a host has to report a task */
  delayBoundS: number;
  /** unsent results the generator keeps ready */
  cushion: number;
  /** seconds between a host's scheduler requests */
  requestDelayS: number;
  maxTasksPerRpc: number;
  /** speed assumed for a host that reports none (numbers per second) */
  defaultNumbersPerSecond: number;
  /** credit per valid result = span / creditDivisor */
  creditDivisor: number;
  now?: () => number;
}

export const DEFAULT_PROJECT_OPTIONS: Omit<ProjectOptions, 'accountKey'> = {
  projectName: 'livelab primes',
  attachBurst: 10,
  attachRefillS: 60,
  rangeLo: 0,
  rangeHi: 1e11,
  unitSpan: 1e9,
  minQuorum: 2,
  targetNResults: 2,
  maxErrorResults: 3,
  maxTotalResults: 8,
  delayBoundS: 3600,
  cushion: 8,
  requestDelayS: 5,
  maxTasksPerRpc: 16,
  defaultNumbersPerSecond: 1e8,
  creditDivisor: 1e6,
};

export interface ProjectEvents {
  /** ignored: unknown task; refused: the instance was not sent to the reporting host */
  onReport?(outcome: string, disposition: 'accepted' | 'duplicate' | 'ignored' | 'refused'): void;
  onValidated?(state: 'valid' | 'invalid', n: number): void;
  onAssimilated?(): void;
}

/** What a daemon or the scheduler works with inside one transaction. */
export interface WorkContext {
  q: WorkStatements;
  opts: ProjectOptions;
  events: ProjectEvents;
  /** the transaction's time (ms) */
  now: number;
}
