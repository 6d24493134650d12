// Fault rules in the URL (issue 18): /faults/<rules>/live/<stream>/<file>. A player pointed at such a URL keeps the
// prefix for every request (the manifests' URIs are relative), and the packager applies the rules' effects to the real
// stream's answers. One grammar, one parser, one builder and one matcher, used by the packager (to parse and apply) and
// by the page (to build the URL it shows): the packager never re-implements a rule, the page never guesses one.
//
//   rules  = rule *( ";" rule )                   at most MAX_FAULT_RULES; the first rule that matches a request wins
//   rule   = field *( "," field )                 exactly one effect field; `on` is required
//   field  = key [ "=" value ]
//   match:  on=<kind>[+<kind>…]   multivariant | playlist | mpd | init | segment | part | reload | manifest | media | any
//                                  (manifest = multivariant+playlist+mpd+reload; media = segment+part; reload = an HLS
//                                  media playlist request with _HLS_msn, i.e. a blocking playlist reload)
//           track=<0-99> | rung=<0-15|audio>   (a ladder's video rung k is track k, its audio LADDER_AUDIO_TRACK)
//           every=<N>            the object's number is a multiple of N
//           n=<A>[-<B>]          the object's number is in A..B
//           part=<P>             the part index is P (on=part only)
//           up=<s>,down=<s>      a cycle on the wall clock: active during the `down` seconds of every up+down
//           p=<0..1>[,seed=<S>]  a seeded random fraction of the objects (the same object always decides the same way)
//   effect: status=<404|410|500|503> | delay=<ms> | hang[=<ms>] | kbps=<N> | truncate=<bytes> |
//           stall=<ms>[,after=<bytes>] | drop | stale=<s> | skip
//
// A stream shape (livesim2-style, at most one per URL, applies to every manifest the player reads through the prefix):
//   shape,window=<1-3600>,pdt=<0|1>,tmpl=<number|timeline>,utc=<http-iso|http-xsdate|head|direct|none>,ato=<ms>,
//         target=<ms>,now=<epoch ms>,seg=<1-4>,chunks=<1-4>
// (window: at most this many of the segments the stream's DVR window offers (live-window.ts shapedWindow), in the HLS
// playlist and the MPD's time-shift depth; pdt: HLS PROGRAM-DATE-TIME; utc: the MPD's
// UTCTiming scheme; tmpl: the MPD's SegmentTemplate with @duration ($Number$) or a SegmentTimeline; ato: the LL MPD's availabilityTimeOffset; target: the LL MPD's service-description latency;
// now: a fixed MPD publishTime, for deterministic tests; seg: segments of that many stored (1 s) segments in a row,
// window × seg at most the longest DVR window; chunks: LL-HLS parts of that many stored (200 ms) chunks — media-files.ts MediaGrouping).
//
// An object's number is its segment number for segments and parts, _HLS_msn for a blocking reload, and the wall-clock
// second for everything else (manifests and init segments have no number; every=10 on a playlist is one second in ten).
// Browser-safe: no Node imports.
import { LADDER_AUDIO_TRACK, MAX_RUNGS } from './ladder-names';
import { MAX_GROUPED_CHUNKS, MAX_GROUPED_SEGMENTS, type MediaGrouping } from './media-files';
import { MAX_WINDOW_SEGMENTS } from './live-window';
import { LIVE_PATH } from './media-paths';

export const FAULTS_PATH = '/faults';

/** Bounds on what a URL may ask for (an unauthenticated client writes it). */
export const FAULT_LIMITS = {
  /** Rules per URL. */
  rules: 8,
  /** Characters of the rules text. */
  textLength: 1024,
  /** delay, ms. */
  delayMs: 10_000,
  /** hang and its default, ms: then the connection is closed. */
  hangMs: 30_000,
  /** stall, ms. */
  stallMs: 30_000,
  /** Throttle floor and ceiling, kbit/s. */
  minKbps: 64,
  maxKbps: 1_000_000,
  /** truncate / stall after, bytes. */
  bytes: 100_000_000,
  /** stale, s. */
  staleS: 60,
  /** every, up, down. */
  every: 1_000_000,
  cycleS: 3600,
  seed: 2 ** 31 - 1,
} as const;

/** What a request is for, as rules name it. */
export type FaultTarget = 'multivariant' | 'playlist' | 'mpd' | 'init' | 'segment' | 'part' | 'reload';
export const FAULT_TARGETS: readonly FaultTarget[] = ['multivariant', 'playlist', 'mpd', 'init', 'segment', 'part', 'reload'];
const TARGET_GROUPS: Record<string, readonly FaultTarget[]> = {
  manifest: ['multivariant', 'playlist', 'mpd', 'reload'],
  media: ['segment', 'part'],
  any: FAULT_TARGETS,
};

export const FAULT_STATUSES = [404, 410, 500, 503] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

export type FaultEffect =
  | { kind: 'status'; status: FaultStatus }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang'; ms: number }
  | { kind: 'throttle'; kbps: number }
  | { kind: 'truncate'; bytes: number }
  /** `after` undefined: after the first chunk written (a part of a segment in progress) or half a whole answer. */
  | { kind: 'stall'; ms: number; after?: number }
  | { kind: 'drop' }
  | { kind: 'stale'; seconds: number }
  | { kind: 'skip' };
export type FaultEffectKind = FaultEffect['kind'];

export interface FaultRule {
  /** Sorted in FAULT_TARGETS order, no duplicates. */
  on: FaultTarget[];
  track?: number;
  every?: number;
  /** Number range, inclusive. */
  from?: number;
  to?: number;
  part?: number;
  cycle?: { up: number; down: number };
  fraction?: { p: number; seed: number };
  effect: FaultEffect;
}

/** Effects that change a manifest rather than its delivery, and the kinds they apply to. */
const MANIFEST_EFFECTS: Partial<Record<FaultEffectKind, readonly FaultTarget[]>> = {
  // An MPD only with a SegmentTimeline (shape,tmpl=timeline): a number-based MPD lists no segments to hold back.
  stale: ['playlist', 'reload', 'mpd'],
  // An MPD: the segments the pattern selects stay in its addressing and are answered 404 (media-routes.ts applyFault).
  skip: ['playlist', 'reload', 'mpd'],
};

/** UTCTiming schemes a shape may ask for (ISO/IEC 23009-1 5.8.5.7); none: no UTCTiming element. */
export const UTC_TIMING_CHOICES = ['http-iso', 'http-xsdate', 'head', 'direct', 'none'] as const;
export type UtcTimingChoice = (typeof UTC_TIMING_CHOICES)[number];

/** How the manifests read through a fault URL are shaped (each field absent: as /live/ serves it). */
export interface StreamShape {
  /**
   * At most this many of the segments the stream offers (its DVR window, live-window.ts `shapedWindow`): what an HLS
   * media playlist lists, the MPD's timeShiftBufferDepth in segments.
   */
  window?: number;
  /** HLS EXT-X-PROGRAM-DATE-TIME. */
  pdt?: boolean;
  /** The MPD's SegmentTemplate: number-based with @duration, or a SegmentTimeline (with $Number$). */
  template?: 'number' | 'timeline';
  utc?: UtcTimingChoice;
  /** Low-latency MPD availabilityTimeOffset, ms (below the 1 s segment). */
  atoMs?: number;
  /** Low-latency MPD ServiceDescription latency target, ms. */
  targetMs?: number;
  /** A fixed MPD publishTime, epoch ms. */
  nowMs?: number;
  /** Stored segments per segment (2: 2 s segments from the publish's 1 s ones); window × segments ≤ SHAPE_LIMITS.window. */
  segments?: number;
  /** Stored chunks per LL-HLS part (2: 400 ms parts from the 200 ms chunks); LL-DASH: availabilityTimeOffset follows. */
  chunks?: number;
}

/** The grouping of a shape's segments and parts (media-files.ts), or undefined when it keeps the stored ones. */
export function shapeGrouping(shape: StreamShape | undefined): MediaGrouping | undefined {
  const segments = shape?.segments ?? 1;
  const chunks = shape?.chunks ?? 1;
  return segments > 1 || chunks > 1 ? { segments, chunks } : undefined;
}

/** Bounds of a shape: `window` up to the longest DVR window (a shorter one caps it: live-window.ts). */
export const SHAPE_LIMITS = { window: MAX_WINDOW_SEGMENTS, atoMs: 999, minTargetMs: 200, maxTargetMs: 30_000, segments: MAX_GROUPED_SEGMENTS, chunks: MAX_GROUPED_CHUNKS } as const;

export type FaultParse = { ok: true; rules: FaultRule[]; shape?: StreamShape } | { ok: false; error: string };

class Bad extends Error {}

const INT = /^(?:0|[1-9]\d{0,14})$/;
function int(key: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !INT.test(v)) throw new Bad(`${key} needs a whole number ${min}-${max}`);
  const n = Number(v);
  if (n < min || n > max) throw new Bad(`${key}=${v} is out of range ${min}-${max}`);
  return n;
}

const EFFECT_KEYS = new Set(['status', 'delay', 'hang', 'kbps', 'truncate', 'stall', 'drop', 'stale', 'skip']);
const FLAGS = new Set(['drop', 'skip', 'hang']);
const SHAPE_KEYS = new Set(['shape', 'window', 'pdt', 'tmpl', 'utc', 'ato', 'target', 'now', 'seg', 'chunks']);
const KEYS = new Set([...EFFECT_KEYS, 'on', 'track', 'rung', 'every', 'n', 'part', 'up', 'down', 'p', 'seed', 'after']);

function parseShape(fields: Map<string, string | undefined>): StreamShape {
  const shape: StreamShape = {};
  for (const [key, v] of fields) {
    if (!SHAPE_KEYS.has(key)) throw new Bad(`a shape takes ${[...SHAPE_KEYS].filter((k) => k !== 'shape').join(', ')}; not ${short(key)}`);
    if (key === 'shape') {
      if (v !== undefined) throw new Bad('shape takes no value');
      continue;
    }
    if (v === undefined) throw new Bad(`${key} needs a value (${key}=…)`);
    if (key === 'window') shape.window = int('window', v, 1, SHAPE_LIMITS.window);
    else if (key === 'pdt') {
      if (v !== '0' && v !== '1') throw new Bad(`pdt=${short(v)}: expected 0 or 1`);
      shape.pdt = v === '1';
    } else if (key === 'tmpl') {
      if (v !== 'number' && v !== 'timeline') throw new Bad(`tmpl=${short(v)}: expected number or timeline`);
      shape.template = v;
    } else if (key === 'utc') {
      if (!(UTC_TIMING_CHOICES as readonly string[]).includes(v)) throw new Bad(`utc=${short(v)}: expected one of ${UTC_TIMING_CHOICES.join(', ')}`);
      shape.utc = v as UtcTimingChoice;
    } else if (key === 'ato') shape.atoMs = int('ato', v, 1, SHAPE_LIMITS.atoMs);
    else if (key === 'target') shape.targetMs = int('target', v, SHAPE_LIMITS.minTargetMs, SHAPE_LIMITS.maxTargetMs);
    else if (key === 'now') shape.nowMs = int('now', v, 0, 8.64e15);
    else if (key === 'seg') shape.segments = int('seg', v, 1, SHAPE_LIMITS.segments);
    else if (key === 'chunks') shape.chunks = int('chunks', v, 1, SHAPE_LIMITS.chunks);
  }
  if (shape.window !== undefined && shape.segments !== undefined && shape.window * shape.segments > SHAPE_LIMITS.window) {
    throw new Bad(`window=${shape.window} with seg=${shape.segments} is ${shape.window * shape.segments} stored segments; the longest DVR window is ${SHAPE_LIMITS.window}`);
  }
  return shape;
}

function splitFields(text: string): Map<string, string | undefined> {
  const fields = new Map<string, string | undefined>();
  for (const f of text.split(',')) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (fields.has(key)) throw new Bad(`${key} is given twice`);
    fields.set(key, eq < 0 ? undefined : f.slice(eq + 1));
  }
  return fields;
}

function parseRule(text: string): FaultRule {
  if (!text) throw new Bad('is empty');
  const fields = new Map<string, string | undefined>();
  for (const f of text.split(',')) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? undefined : f.slice(eq + 1);
    if (!KEYS.has(key)) throw new Bad(`unknown key "${short(key)}" (keys: ${[...KEYS].join(', ')})`);
    if (fields.has(key)) throw new Bad(`${key} is given twice`);
    if (value === undefined && !FLAGS.has(key)) throw new Bad(`${key} needs a value (${key}=…)`);
    if (value !== undefined && (key === 'drop' || key === 'skip')) throw new Bad(`${key} takes no value`);
    fields.set(key, value);
  }
  const onText = fields.get('on');
  if (onText === undefined) throw new Bad('needs on=<kind> (multivariant, playlist, mpd, init, segment, part, reload, manifest, media, any)');
  const on = new Set<FaultTarget>();
  for (const k of onText.split('+')) {
    const group = TARGET_GROUPS[k] ?? ((FAULT_TARGETS as readonly string[]).includes(k) ? [k as FaultTarget] : undefined);
    if (!group) throw new Bad(`on: unknown kind "${short(k)}" (expected ${[...FAULT_TARGETS, ...Object.keys(TARGET_GROUPS)].join(', ')})`);
    for (const t of group) on.add(t);
  }
  const rule: FaultRule = { on: FAULT_TARGETS.filter((t) => on.has(t)), effect: { kind: 'drop' } };

  if (fields.has('track') && fields.has('rung')) throw new Bad('give track or rung, not both');
  if (fields.has('track')) rule.track = int('track', fields.get('track'), 0, 99);
  if (fields.has('rung')) {
    const r = fields.get('rung');
    rule.track = r === 'audio' ? LADDER_AUDIO_TRACK : int('rung', r, 0, MAX_RUNGS - 1);
  }
  if (fields.has('every')) rule.every = int('every', fields.get('every'), 1, FAULT_LIMITS.every);
  if (fields.has('n')) {
    const [a, b, ...more] = (fields.get('n') as string).split('-');
    if (more.length) throw new Bad('n takes A or A-B');
    rule.from = int('n', a, 0, Number.MAX_SAFE_INTEGER);
    rule.to = b === undefined ? rule.from : int('n', b, 0, Number.MAX_SAFE_INTEGER);
    if (rule.to < rule.from) throw new Bad(`n=${fields.get('n')}: the range ends before it starts`);
  }
  if (fields.has('part')) {
    if (rule.on.join() !== 'part') throw new Bad('part= needs on=part');
    rule.part = int('part', fields.get('part'), 0, 9999);
  }
  if (fields.has('up') !== fields.has('down')) throw new Bad('a cycle needs both up=<s> and down=<s>');
  if (fields.has('up')) {
    rule.cycle = { up: int('up', fields.get('up'), 0, FAULT_LIMITS.cycleS), down: int('down', fields.get('down'), 1, FAULT_LIMITS.cycleS) };
  }
  if (fields.has('seed') && !fields.has('p')) throw new Bad('seed= needs p=<fraction>');
  if (fields.has('p')) {
    const v = fields.get('p') as string;
    if (!/^(?:0(?:\.\d{1,6})?|1(?:\.0{1,6})?|\.\d{1,6})$/.test(v) || Number(v) <= 0) throw new Bad(`p=${short(v)}: expected a fraction 0 < p <= 1 (e.g. 0.1)`);
    rule.fraction = { p: Number(v), seed: fields.has('seed') ? int('seed', fields.get('seed'), 0, FAULT_LIMITS.seed) : 1 };
  }

  const effects = [...fields.keys()].filter((k) => EFFECT_KEYS.has(k));
  if (effects.length !== 1) {
    throw new Bad(effects.length ? `has ${effects.length} effects (${effects.join(', ')}): one per rule` : 'needs an effect (status, delay, hang, kbps, truncate, stall, drop, stale, skip)');
  }
  const kind = effects[0];
  const v = fields.get(kind);
  if (fields.has('after') && kind !== 'stall') throw new Bad('after= goes with stall=');
  switch (kind) {
    case 'status': {
      const s = Number(v);
      if (!(FAULT_STATUSES as readonly number[]).includes(s) || String(s) !== v) throw new Bad(`status=${short(v ?? '')}: expected one of ${FAULT_STATUSES.join(', ')}`);
      rule.effect = { kind: 'status', status: s as FaultStatus };
      break;
    }
    case 'delay':
      rule.effect = { kind: 'delay', ms: int('delay', v, 1, FAULT_LIMITS.delayMs) };
      break;
    case 'hang':
      rule.effect = { kind: 'hang', ms: v === undefined ? FAULT_LIMITS.hangMs : int('hang', v, 1, FAULT_LIMITS.hangMs) };
      break;
    case 'kbps':
      rule.effect = { kind: 'throttle', kbps: int('kbps', v, FAULT_LIMITS.minKbps, FAULT_LIMITS.maxKbps) };
      break;
    case 'truncate':
      rule.effect = { kind: 'truncate', bytes: int('truncate', v, 0, FAULT_LIMITS.bytes) };
      break;
    case 'stall': {
      const after = fields.has('after') ? int('after', fields.get('after'), 0, FAULT_LIMITS.bytes) : undefined;
      rule.effect = { kind: 'stall', ms: int('stall', v, 1, FAULT_LIMITS.stallMs), ...(after === undefined ? {} : { after }) };
      break;
    }
    case 'drop':
      rule.effect = { kind: 'drop' };
      break;
    case 'stale':
      rule.effect = { kind: 'stale', seconds: int('stale', v, 1, FAULT_LIMITS.staleS) };
      break;
    case 'skip':
      rule.effect = { kind: 'skip' };
      break;
  }
  const only = MANIFEST_EFFECTS[rule.effect.kind];
  if (only && rule.on.some((t) => !only.includes(t))) throw new Bad(`${kind} changes a manifest: it needs on=${only.join(' or on=')}`);
  return rule;
}

const short = (s: string) => (s.length > 24 ? `${s.slice(0, 24)}…` : s);

/** Rules text (the path element after /faults/, URL-decoded) → rules, or an error naming the bad rule and part. */
export function parseFaultRules(text: string): FaultParse {
  if (text.length > FAULT_LIMITS.textLength) return { ok: false, error: `fault rules are ${text.length} characters; at most ${FAULT_LIMITS.textLength}` };
  if (!text) return { ok: false, error: 'no fault rules: /faults/<rules>/live/<stream>/<file>' };
  const texts = text.split(';');
  if (texts.length > FAULT_LIMITS.rules) return { ok: false, error: `${texts.length} fault rules; at most ${FAULT_LIMITS.rules}` };
  const rules: FaultRule[] = [];
  let shape: StreamShape | undefined;
  for (const [i, t] of texts.entries()) {
    try {
      if (t === 'shape' || t.startsWith('shape,')) {
        if (shape) throw new Bad('a second shape: give one');
        shape = parseShape(splitFields(t));
      } else rules.push(parseRule(t));
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      return { ok: false, error: `fault rule ${i + 1} ("${short(t)}"): ${e.message}` };
    }
  }
  return shape ? { ok: true, rules, shape } : { ok: true, rules };
}

/** The canonical text of one rule (what parseFaultRules reads back to an equal rule). */
export function faultRuleText(r: FaultRule): string {
  const out = [`on=${r.on.length === FAULT_TARGETS.length ? 'any' : r.on.join('+')}`];
  if (r.track !== undefined) out.push(`track=${r.track}`);
  if (r.every !== undefined) out.push(`every=${r.every}`);
  if (r.from !== undefined) out.push(`n=${r.from === r.to ? r.from : `${r.from}-${r.to}`}`);
  if (r.part !== undefined) out.push(`part=${r.part}`);
  if (r.cycle) out.push(`up=${r.cycle.up}`, `down=${r.cycle.down}`);
  if (r.fraction) out.push(`p=${r.fraction.p}`, `seed=${r.fraction.seed}`);
  const e = r.effect;
  switch (e.kind) {
    case 'status':
      out.push(`status=${e.status}`);
      break;
    case 'delay':
      out.push(`delay=${e.ms}`);
      break;
    case 'hang':
      out.push(`hang=${e.ms}`);
      break;
    case 'throttle':
      out.push(`kbps=${e.kbps}`);
      break;
    case 'truncate':
      out.push(`truncate=${e.bytes}`);
      break;
    case 'stall':
      out.push(`stall=${e.ms}`, ...(e.after === undefined ? [] : [`after=${e.after}`]));
      break;
    case 'stale':
      out.push(`stale=${e.seconds}`);
      break;
    default:
      out.push(e.kind);
  }
  return out.join(',');
}

/** The canonical text of a shape (what parseFaultRules reads back to an equal shape). */
export function shapeText(shape: StreamShape): string {
  const out = ['shape'];
  if (shape.window !== undefined) out.push(`window=${shape.window}`);
  if (shape.pdt !== undefined) out.push(`pdt=${shape.pdt ? 1 : 0}`);
  if (shape.template !== undefined) out.push(`tmpl=${shape.template}`);
  if (shape.utc !== undefined) out.push(`utc=${shape.utc}`);
  if (shape.atoMs !== undefined) out.push(`ato=${shape.atoMs}`);
  if (shape.targetMs !== undefined) out.push(`target=${shape.targetMs}`);
  if (shape.nowMs !== undefined) out.push(`now=${shape.nowMs}`);
  if (shape.segments !== undefined) out.push(`seg=${shape.segments}`);
  if (shape.chunks !== undefined) out.push(`chunks=${shape.chunks}`);
  return out.join(',');
}

export const faultRulesText = (rules: FaultRule[], shape?: StreamShape) => [...(shape ? [shapeText(shape)] : []), ...rules.map(faultRuleText)].join(';');

/** The path prefix for these rules (and shape): /faults/<rules> (the rules' characters are all URL-path-safe). */
export const faultsPrefix = (rules: FaultRule[], shape?: StreamShape) => `${FAULTS_PATH}/${faultRulesText(rules, shape)}`;

/** A media path behind a fault prefix: /faults/<rules>/live/<stream>/<file>. */
export const faultedPath = (rules: FaultRule[], livePath: string, shape?: StreamShape) => `${faultsPrefix(rules, shape)}${livePath}`;

/**
 * /faults/<rules>/live/… split into the rules text (URL-decoded) and the /live/… path, or undefined when the path is
 * not under /faults/ or its rules element has a bad encoding.
 */
export function splitFaultPath(path: string): { rulesText: string; livePath: string } | undefined {
  if (!path.startsWith(`${FAULTS_PATH}/`)) return undefined;
  const at = path.indexOf('/', FAULTS_PATH.length + 1);
  if (at < 0 || !path.startsWith(`${LIVE_PATH}/`, at)) return undefined;
  try {
    return { rulesText: decodeURIComponent(path.slice(FAULTS_PATH.length + 1, at)), livePath: path.slice(at) };
  } catch {
    return undefined;
  }
}

/** One request, as rules see it. */
export interface FaultRequest {
  target: FaultTarget;
  track?: number;
  /**
   * Segment number (segments, parts), _HLS_msn (reload), else the wall-clock second; undefined: the number pattern is
   * not checked (a skip rule's request: its pattern picks the playlist's segments to skip).
   */
  number?: number;
  part?: number;
  nowMs: number;
}

/**
 * A deterministic number in [0, 1) from a seed and an object (a 32-bit integer hash, murmur3's finaliser): the random
 * fraction must decide the same way for every viewer and every retry of one object, which a PRNG stream cannot.
 */
export function faultDraw(seed: number, number: number, part = 0, track = 0): number {
  let h = seed >>> 0;
  for (const x of [number % 2 ** 32, Math.floor(number / 2 ** 32), part, track]) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 2 ** 32;
}

/** Whether a rule's object kind, track and number pattern select this request. */
export function faultMatches(r: FaultRule, q: FaultRequest): boolean {
  if (!r.on.includes(q.target)) return false;
  if (r.track !== undefined && q.track !== r.track) return false;
  if (r.every !== undefined && q.number !== undefined && q.number % r.every !== 0) return false;
  if (r.from !== undefined && q.number !== undefined && (q.number < r.from || q.number > (r.to as number))) return false;
  if (r.part !== undefined && q.part !== r.part) return false;
  if (r.cycle) {
    const period = (r.cycle.up + r.cycle.down) * 1000;
    if (q.nowMs % period < r.cycle.up * 1000) return false;
  }
  if (r.fraction && q.number !== undefined && faultDraw(r.fraction.seed, q.number, q.part, q.track) >= r.fraction.p) return false;
  return true;
}

/** The first rule that selects the request (the first match wins), or undefined. */
export const matchFault = (rules: FaultRule[], q: FaultRequest): FaultRule | undefined => rules.find((r) => faultMatches(r, q));

/** Ready-made rules for the page's fault panel (docs/faults.md says what each player did with them). */
export const FAULT_PRESETS: ReadonlyArray<{ id: string; label: string; rules: string }> = [
  { id: 'segment-404', label: 'segment 404 every 10 s', rules: 'on=segment+part,every=10,status=404' },
  { id: 'cdn-stall', label: 'CDN stall 3 s', rules: 'on=segment+part,up=20,down=3,hang=3000' },
  { id: 'slow-network', label: 'slow network 1 Mbit/s', rules: 'on=any,kbps=1000' },
  { id: 'll-part-hang', label: 'LL part hang', rules: 'on=part,every=10,part=2,hang=3000' },
  { id: 'mid-segment-stall', label: 'chunked segment stalls 3 s mid-way', rules: 'on=segment,every=10,stall=3000' },
  { id: 'stale-playlist', label: 'stale playlist (no new segments for 4 s)', rules: 'on=playlist+reload,stale=4' },
];

/**
 * Ready-made stream shapes for the same panel (docs/faults.md "Stream shapes"; the shapes ladder-browser.test.ts plays
 * with hls.js and dash.js): longer segments, longer parts, a SegmentTimeline MPD.
 */
export const SHAPE_PRESETS: ReadonlyArray<{ id: string; label: string; rules: string }> = [
  { id: 'segments-4s', label: '4 s segments', rules: 'shape,seg=4' },
  { id: 'parts-2-chunks', label: '2-chunk parts (400 ms)', rules: 'shape,chunks=2' },
  { id: 'segments-3s-parts-2-chunks', label: '3 s segments, 2-chunk parts', rules: 'shape,seg=3,chunks=2' },
  { id: 'timeline', label: 'SegmentTimeline MPD', rules: 'shape,tmpl=timeline' },
];
