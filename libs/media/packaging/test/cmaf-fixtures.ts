// Shared by the packaging unit specs: real CMAF made by the production pipeline's jobs — the generator's test-signal
// job (@livelab/media-generator) encodes a few seconds to FLV, the packager's own remux job (cmafPackagingJob) reads
// it and writes the CMAF with the production settings — kept as init segments and segment files, split into the
// fragments the store turns into parts, and fed into a CmafStore with a controlled clock. Lives in test/ so it is
// type-checked with the specs but never built into the library.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initUri, parseMediaFile } from '@livelab/media-contract';
import { cmafPackagingJob, runFfmpeg } from '@livelab/media-ffmpeg';
import { testSignalJob } from '@livelab/media-generator';
import { CmafStore, type LiveTimeline } from '../src/cmaf/cmaf-store';
import {
  BoxSplitter,
  parseInitSegment,
  parseMoof,
  type Box,
  type FragmentTiming,
  type TrackInfo,
} from '../src/cmaf/fmp4';
import { playableTimeline } from '../src/cmaf/timeline';

export const VIDEO = 0;
export const AUDIO = 1;

export interface CmafFiles {
  dir: string;
  init: Map<number, Buffer>;
  /** Segment files per track (representation id), in number order: index 0 is segment 1. */
  segments: Map<number, Buffer[]>;
}

/**
 * `seconds` of 320x180 30 fps H.264 (High profile, a keyframe every second) and 48 kHz stereo AAC from the
 * generator's job (faster than real time), remuxed by the packager's job into 1 s CMAF segments of 200 ms fragments.
 */
/** For the hook that calls generateCmaf: two ffmpeg runs, which took over jest's 5 s default on a loaded 2-core box. */
export const FIXTURE_ENCODE_TIMEOUT_MS = 60_000;

export async function generateCmaf(seconds: number): Promise<CmafFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'cmaf-spec-'));
  const flv = await encodeSignal(dir, seconds);
  // The packager's remux job as it runs in production, but writing into a directory instead of PUTting to the
  // upload server: a remux that ends (the FLV file does; a live one never) closes its upload sockets without reading
  // our answers, and the kernel then drops the bytes still queued (RST) — the last segments would arrive cut.
  return remuxToFiles(dir, cmafPackagingJob({ input: flv, uploadBaseUrl: join(dir, 'cmaf') }), [VIDEO, AUDIO], seconds);
}

/**
 * A ladder's audio rung as its remux makes it when it joins the publish `startS` late: the remux keeps the
 * publisher's timestamps (`-copyts`), so its first packet is at `startS`, and FFmpeg's movenc writes a leading empty
 * edit of `startS` in the init and every tfdt relative to it (fmp4.ts TrackInfo.editShiftTicks). Track 0.
 */
export async function generateLateAudioRungCmaf(seconds: number, startS: number): Promise<CmafFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'cmaf-spec-'));
  const flv = await encodeSignal(dir, seconds);
  const late = join(dir, 'audio-late.flv');
  const shifted = await runFfmpeg(
    { globalOptions: ['-v', 'error'], inputs: [{ source: flv }], output: late, outputOptions: ['-map', '0:a', '-c', 'copy', '-output_ts_offset', String(startS), '-f', 'flv'] },
    { timeoutMs: 60_000 },
  );
  if (shifted.code !== 0) throw new Error(`audio shift failed: ${shifted.stderrTail.join('\n')}`);
  return remuxToFiles(dir, cmafPackagingJob({ input: late, uploadBaseUrl: join(dir, 'cmaf'), rung: 'audio' }), [0], seconds);
}

/** `seconds` + 1 of the generator's test signal (320x180@30, AAC) into <dir>/signal.flv, faster than real time. */
async function encodeSignal(dir: string, seconds: number): Promise<string> {
  const flv = join(dir, 'signal.flv');
  const spec = { name: 'fixture', pattern: 'testsrc2' as const, width: 320, height: 180, fps: 30, videoBitrateKbps: 600, audioBitrateKbps: 128 };
  const encoded = await runFfmpeg(
    testSignalJob(spec, { startEpochMs: Date.UTC(2025, 0, 1), output: flv, durationSeconds: seconds + 1, realtime: false, utcOffsetMinutes: 0 }),
    { timeoutMs: 60_000 },
  );
  if (encoded.code !== 0) throw new Error(`test-signal encode failed: ${encoded.stderrTail.join('\n')}`);
  return flv;
}

/** Runs a remux job whose uploadBaseUrl is <dir>/cmaf and reads back each track's init and first `seconds` segments. */
async function remuxToFiles(dir: string, job: ReturnType<typeof cmafPackagingJob>, tracks: number[], seconds: number): Promise<CmafFiles> {
  const out = join(dir, 'cmaf');
  mkdirSync(out);
  const remux = await runFfmpeg(job, { timeoutMs: 60_000 });
  if (remux.code !== 0) throw new Error(`remux failed: ${remux.stderrTail.join('\n')}`);
  const init = new Map<number, Buffer>();
  const segments = new Map<number, Buffer[]>();
  for (const track of tracks) {
    init.set(track, readFileSync(join(out, initUri(track))));
    const names = readdirSync(out)
      .filter((f) => {
        const file = parseMediaFile(f);
        return file?.kind === 'segment' && file.track === track;
      })
      .sort()
      .slice(0, seconds); // the remux ends the last segment of each track early (end of input): one more was made
    if (names.length < seconds) throw new Error(`the remux wrote ${names.length} segments of track ${track}, not ${seconds}`);
    segments.set(
      track,
      names.map((f) => readFileSync(join(out, f))),
    );
  }
  return { dir, init, segments };
}

export function removeCmaf(files: CmafFiles | undefined): void {
  if (files) rmSync(files.dir, { recursive: true, force: true });
}

export function boxesOf(file: Buffer): Box[] {
  const splitter = new BoxSplitter();
  const boxes = splitter.push(file);
  if (splitter.leftover) throw new Error(`${splitter.leftover} bytes after the last box`);
  return boxes;
}

export interface Fragment {
  /** Byte range [start, end) of the part in its segment file: the boxes before the moof, the moof, the mdat. */
  start: number;
  end: number;
  timing: FragmentTiming;
}

/** The fragments (future parts) of a segment file, each ending with its mdat. */
export function fragmentsOf(file: Buffer, info: TrackInfo): Fragment[] {
  const out: Fragment[] = [];
  let pos = 0;
  let start = 0;
  let timing: FragmentTiming | undefined;
  for (const box of boxesOf(file)) {
    if (box.type === 'moof') timing = parseMoof(box.bytes, info);
    pos += box.bytes.length;
    if (box.type === 'mdat' && timing) {
      out.push({ start, end: pos, timing });
      start = pos;
      timing = undefined;
    }
  }
  return out;
}

/** Deterministic PRNG (mulberry32), for piece sizes and jitter. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `buf` cut into pieces of 1..maxPiece bytes. */
export function randomPieces(buf: Buffer, maxPiece: number, random: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < buf.length;) {
    const n = 1 + Math.floor(random() * maxPiece);
    out.push(buf.subarray(p, p + n));
    p += n;
  }
  return out;
}

export interface LiveFeedOptions {
  /** Wall clock (ms) at media time 0. */
  t0: number;
  /** Segments per track to feed completely (default: all). */
  segments?: number;
  /** Parts of the next segment of each track to feed, leaving it in progress (default 0: none opened). */
  inProgressParts?: number;
  /** Delay (ms) between a part's media end and its arrival (default 10 ms). */
  delayMs?: (track: number, segIndex: number, part: number) => number;
  /** Segment number the remux gives the first segment (default 1). */
  firstRemuxNumber?: number;
}

export interface FedPart {
  track: number;
  /** Index of the segment file. */
  segIndex: number;
  part: number;
  /** Media time at the end of the part, ms from the file's time 0. */
  mediaEndMs: number;
  /** Wall clock when the part was written. */
  at: number;
}

/**
 * Feeds both tracks as a live remux would: init segments first, then every part written when its media has been
 * captured (t0 + media end + delay), video and audio interleaved in time order, each segment ended after its last
 * part. The clock is jest's fake system clock (the caller must have called jest.useFakeTimers()).
 */
export function feedLive(store: CmafStore, files: CmafFiles, opts: LiveFeedOptions): FedPart[] {
  jest.setSystemTime(opts.t0);
  const events: Array<FedPart & { bytes: Buffer; open: boolean; close: boolean }> = [];
  for (const track of [VIDEO, AUDIO]) {
    const init = files.init.get(track) as Buffer;
    store.setInit(track, Buffer.from(init));
    const info = parseInitSegment(init);
    const segs = files.segments.get(track) as Buffer[];
    const complete = Math.min(opts.segments ?? segs.length, segs.length);
    for (let i = 0; i < segs.length && i <= complete; i++) {
      const frags = fragmentsOf(segs[i], info);
      const count = i < complete ? frags.length : Math.min(opts.inProgressParts ?? 0, frags.length);
      for (let k = 0; k < count; k++) {
        const f = frags[k];
        const mediaEndMs = ((f.timing.baseDecodeTime + f.timing.duration) / info.timescale) * 1000;
        events.push({
          track,
          segIndex: i,
          part: k,
          mediaEndMs,
          at: 0,
          bytes: Buffer.from(segs[i].subarray(f.start, f.end)),
          open: k === 0,
          close: i < complete && k === frags.length - 1,
        });
      }
    }
  }
  events.sort((a, b) => a.mediaEndMs - b.mediaEndMs || a.track - b.track);
  const sinks = new Map<string, ReturnType<CmafStore['openSegment']>>();
  let now = opts.t0;
  for (const e of events) {
    const key = `${e.track}/${e.segIndex}`;
    if (e.open) sinks.set(key, store.openSegment(e.track, (opts.firstRemuxNumber ?? 1) + e.segIndex));
    now = Math.max(now, opts.t0 + e.mediaEndMs + (opts.delayMs?.(e.track, e.segIndex, e.part) ?? 10));
    jest.setSystemTime(now);
    e.at = now;
    const sink = sinks.get(key);
    if (!sink) throw new Error(`no upload open for ${key}`);
    sink.write(e.bytes);
    if (e.close) sink.end();
  }
  return events.map(({ track, segIndex, part, mediaEndMs, at }) => ({
    track,
    segIndex,
    part,
    mediaEndMs,
    at,
  }));
}

export interface LiveStream {
  store: CmafStore;
  /** Settled as StreamPackager does (playableTimeline): when `minSegments` video segments and a segment of every track are complete. */
  tl: LiveTimeline;
  fed: FedPart[];
}

/** A store fed live (see feedLive), with the timeline settled the moment the stream became playable. */
export function liveStream(
  files: CmafFiles,
  opts: LiveFeedOptions & { minSegments?: number; windowSegments?: number },
): LiveStream {
  const store = new CmafStore({ windowSegments: opts.windowSegments });
  let tl: LiveTimeline | undefined;
  // The production rule (StreamPackager): the timeline is settled on the segment or part that makes the stream playable.
  const check = () => {
    tl ??= playableTimeline(store.readyTracks(), opts.minSegments ?? 1, 0.2);
  };
  store.on('segment', check);
  store.on('part', check);
  const fed = feedLive(store, files, opts);
  if (!tl) throw new Error('the stream never became playable');
  return { store, tl, fed };
}
