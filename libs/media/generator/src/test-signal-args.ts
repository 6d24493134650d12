// Builds the generator's ffmpeg job for one test stream: lavfi bars or moving pattern, burned-in wall clock
// with milliseconds, frame counter, stream name, a 1 kHz beep of 100 ms each wall-clock second with a white
// flash box on exactly those frames (A/V sync check), and the machine-readable timecode strip (see
// @livelab/media-testsignal), encoded x264 + AAC and pushed as FLV over RTMP (or written to a file in tests).
import {
  AV_MARK_SECONDS, BEEP_AMPLITUDE, BEEP_HZ, encodeRungCells, flashBox, RUNG_STRIP, rungStripHeight, TIMECODE_STRIP,
  type LadderRung, type StreamSpec,
} from '@livelab/media-testsignal';
import type { Rung } from '@livelab/media-contract';
import type { FfmpegJobSpec } from '@livelab/media-ffmpeg';

export const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

export interface TestSignalOptions {
  /** Epoch ms of the first frame (pts 0). Every frame's capture time is startEpochMs + pts. */
  startEpochMs: number;
  /** Where to send it: rtmp://…/live/<name>?key=… or a file path. */
  output: string;
  /** Output container; 'flv' for RTMP. */
  format?: string;
  /** Minutes east of UTC for the burned-in clock (default: this machine's zone). */
  utcOffsetMinutes?: number;
  /** Stop after this many seconds (tests); default: run until stopped. */
  durationSeconds?: number;
  /** Throttle to real time (-re). Default true; tests encoding files may turn it off. */
  realtime?: boolean;
  fontFile?: string;
}

/** What the picture and the beep depend on (not where they go). */
type SignalOptions = Omit<TestSignalOptions, 'output' | 'format'>;

/** Capture time of the current frame, in integer epoch ms, as an ffmpeg expression. */
function captureMsExpr(startEpochMs: number): string {
  return `(${startEpochMs}+round(t*1000))`;
}

/** ffmpeg expression that is 1 when bit `bit` (0 = least significant) of `valueExpr` is set. */
function bitExpr(valueExpr: string, bit: number): string {
  return `eq(mod(floor(${valueExpr}/${2 ** bit}),2),1)`;
}

/** drawbox filters for the timecode strip at this frame size. */
export function timecodeStripFilters(width: number, height: number, startEpochMs: number): string[] {
  const s = TIMECODE_STRIP;
  const stripH = Math.max(s.minHeightPx, Math.round(height * s.heightFraction));
  const T = captureMsExpr(startEpochMs);
  const checksum = `mod(${[0, 1, 2, 3, 4, 5].map((j) => `mod(floor(${T}/${256 ** j}),256)`).join('+')},256)`;
  const cell = (c: number) => {
    const x0 = Math.floor((c * width) / s.cells);
    const x1 = Math.floor(((c + 1) * width) / s.cells);
    return { x: x0, w: x1 - x0 };
  };
  const box = (c: number, enable?: string) => {
    const { x, w } = cell(c);
    return `drawbox=x=${x}:y=0:w=${w}:h=${stripH}:color=white:t=fill${enable ? `:enable='${enable}'` : ''}`;
  };
  const filters = [`drawbox=x=0:y=0:w=${width}:h=${stripH}:color=black:t=fill`];
  s.startGuard.forEach((white, i) => white && filters.push(box(i)));
  for (let i = 0; i < s.timeBits; i++) filters.push(box(s.timeStart + i, bitExpr(T, s.timeBits - 1 - i)));
  for (let i = 0; i < s.checksumBits; i++) filters.push(box(s.checksumStart + i, bitExpr(checksum, s.checksumBits - 1 - i)));
  s.endGuard.forEach((white, i) => white && filters.push(box(s.cells - s.endGuard.length + i)));
  return filters;
}

/** A literal for drawtext's text='…': keep only characters that need no escaping in a filtergraph. */
function drawtextLiteral(text: string): string {
  return text.replace(/[^A-Za-z0-9 ._@+x-]/g, '');
}

/** Fraction of a second the first frame is past a whole wall-clock second: beeps land on whole seconds. */
function secondPhase(startEpochMs: number): string {
  return ((((startEpochMs % 1000) + 1000) % 1000) / 1000).toFixed(3);
}

/**
 * The source's overlays, shared by every rendition (filters, in order): the wall-clock stamp, the timecode strip,
 * the clock, date, frame counter and info line, the flash; pts restored to the frame index; yuv420p.
 */
function sourceFilters(spec: StreamSpec, opts: SignalOptions, info: string): string[] {
  const { width: W, height: H } = spec;
  const font = opts.fontFile ?? FONT_FILE;
  const offsetMin = opts.utcOffsetMinutes ?? -new Date(opts.startEpochMs).getTimezoneOffset();
  const L = `(${opts.startEpochMs + offsetMin * 60_000}+t*1000)`; // local wall-clock ms
  const phase = secondPhase(opts.startEpochMs);
  const two = (e: string) => `%{eif\\:${e}\\:d\\:2}`;
  const clock =
    `${two(`mod(floor(${L}/3600000),24)`)}\\:${two(`mod(floor(${L}/60000),60)`)}\\:` +
    `${two(`mod(floor(${L}/1000),60)`)}.%{eif\\:mod(floor(${L}),1000)\\:d\\:3}`;
  const dateOffsetS = ((opts.startEpochMs + offsetMin * 60_000) / 1000).toFixed(3);
  const date = `%{pts\\:gmtime\\:${dateOffsetS}\\:%Y-%m-%d}`;
  const zone = `UTC${offsetMin >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0')}${String(Math.abs(offsetMin) % 60).padStart(2, '0')}`;
  const big = Math.max(16, Math.round(H / 9));
  const small = Math.max(10, Math.round(H / 24));
  const text = (t: string, size: number, y: string) =>
    `drawtext=fontfile=${font}:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=${Math.round(size / 5)}:x=(w-text_w)/2:y=${y}:text='${t}'`;
  const flash = flashBox(W, H);
  // In real time, stamp each frame with the wall clock when ffmpeg makes it (setpts RTCTIME, µs): `t` below is then
  // wall-clock seconds since startEpochMs, so the clock and the timecode strip show the true capture time even though
  // ffmpeg takes 0.1–1 s (more on a loaded machine) to start after startEpochMs was taken. The pts is restored to the
  // frame index before encoding. Not in faster-than-real-time runs (tests): there capture time is nominal.
  const wallClock = opts.realtime ?? true;
  return [
    ...(wallClock ? [`settb=1/1000`, `setpts=RTCTIME/1000-${Math.round(opts.startEpochMs)}`] : []),
    ...timecodeStripFilters(W, H, opts.startEpochMs),
    text(clock, big, `h*0.16`),
    text(`${date} ${drawtextLiteral(zone)}`, small, `h*0.16+${big * 1.35}`),
    text(`frame %{eif\\:n\\:d\\:7}   pts %{pts\\:hms}`, small, `h*0.16+${big * 1.35 + small * 1.8}`),
    text(drawtextLiteral(info), small, `h*0.16+${big * 1.35 + small * 3.6}`),
    // The flash: white on exactly the frames inside the beep window of each wall-clock second.
    // n/fps, not t: the beep (aevalsrc) runs on the nominal timeline, and flash and beep must fall together.
    `drawbox=x=${flash.x}:y=${flash.y}:w=${flash.size}:h=${flash.size}:color=white:t=fill:enable='lt(mod(n/${spec.fps}+${phase},1),${AV_MARK_SECONDS})'`,
    ...(wallClock ? [`settb=1/${spec.fps}`, 'setpts=N'] : []),
    'format=yuv420p',
  ];
}

/** The video filter chain of a single-rendition stream: overlays on the lavfi pattern. */
export function testSignalVideoFilters(spec: StreamSpec, opts: TestSignalOptions): string {
  const info = `${spec.name}  ${spec.width}x${spec.height}@${spec.fps}  H.264 ${spec.videoBitrateKbps}k + AAC ${spec.audioBitrateKbps}k`;
  return sourceFilters(spec, opts, info).join(',');
}

/** The two lavfi inputs: the pattern and the beep (in phase with the flash). */
function testSignalInputs(spec: StreamSpec, opts: SignalOptions): FfmpegJobSpec['inputs'] {
  const phase = secondPhase(opts.startEpochMs);
  const realtime = opts.realtime ?? true;
  const lavfi = (extra: string[] = []) => [...(realtime ? ['-re'] : []), '-f', 'lavfi', ...extra];
  const duration = opts.durationSeconds ? `:duration=${opts.durationSeconds}` : '';
  return [
    { source: `${spec.pattern}=size=${spec.width}x${spec.height}:rate=${spec.fps}${duration}`, options: lavfi() },
    {
      // The beep sounds while a flash frame is shown: floor(t·fps)/fps is the start of the frame on screen at t, so
      // the onset falls on the first flash frame's start, not up to a frame before it (A/V sync is measured from it).
      source: `aevalsrc=exprs='${BEEP_AMPLITUDE}*sin(2*PI*${BEEP_HZ}*t)*lt(mod(floor(t*${spec.fps}+0.0001)/${spec.fps}+${phase},1),${AV_MARK_SECONDS})':s=48000:c=stereo${duration}`,
      options: lavfi(),
    },
  ];
}

/** x264 settings every video rendition shares: one keyframe each second, none at scene cuts, no B-frames (zerolatency). */
function x264Options(fps: number): string[] {
  return [
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-profile:v', 'high',
    '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
  ];
}

const aacOptions = (spec: StreamSpec) => ['-c:a', 'aac', '-b:a', `${spec.audioBitrateKbps}k`, '-ar', '48000', '-ac', '2'];

/**
 * FFmpeg's AAC encoder's priming (initial padding): its first packet is stamped this many samples before its input.
 * FLV cannot say so, and each FLV muxer moves a negative first timestamp to 0 — in a single stream's one FLV both
 * tracks move together, but a ladder's audio is its own tee slave: only it moved, and its sound came 21 ms after the
 * video's flash. Cutting these samples off the input (atrim keeps the timestamps) makes the first packet 0 in every
 * muxer, so nothing moves. The beep is computed from t, so it stays where it was.
 */
export const AAC_PRIMING_SAMPLES = 1024;
const audioFilter = `atrim=start_sample=${AAC_PRIMING_SAMPLES}`;

/** The full ffmpeg job for one test stream. */
export function testSignalJob(spec: StreamSpec, opts: TestSignalOptions): FfmpegJobSpec {
  const v = spec.videoBitrateKbps;
  return {
    globalOptions: ['-hide_banner', '-nostats', '-loglevel', 'warning'],
    inputs: testSignalInputs(spec, opts),
    output: opts.output,
    outputOptions: [
      '-map', '0:v', '-map', '1:a',
      '-vf', testSignalVideoFilters(spec, opts),
      ...x264Options(spec.fps),
      '-b:v', `${v}k`, '-maxrate', `${v}k`, '-bufsize', `${v * 2}k`,
      '-af', audioFilter,
      ...aacOptions(spec),
      ...(opts.format ?? 'flv') === 'flv' ? ['-flvflags', 'no_duration_filesize'] : [],
      '-f', opts.format ?? 'flv',
    ],
  };
}

/** "4.5 Mbit/s", "600 kbit/s". */
export function bitrateLabel(kbps: number): string {
  return kbps >= 1000 ? `${Number((kbps / 1000).toFixed(2))} Mbit/s` : `${kbps} kbit/s`;
}

/** The label burned into rung `index`: "rung 2  854x480  1.2 Mbit/s" (plain characters only: no filtergraph escaping). */
export function rungLabel(index: number, rung: LadderRung): string {
  return `rung ${index}  ${rung.width}x${rung.height}  ${bitrateLabel(rung.videoBitrateKbps)}`;
}

/** drawbox filters for the rung strip of rung `index` at this frame size (libs/media/testsignal rung-strip.ts). */
export function rungStripFilters(width: number, height: number, index: number): string[] {
  const h = rungStripHeight(height);
  const y = height - h;
  const cells = encodeRungCells(index);
  const filters = [`drawbox=x=0:y=${y}:w=${width}:h=${h}:color=black:t=fill`];
  cells.forEach((white, c) => {
    if (!white) return;
    const x0 = Math.floor((c * width) / RUNG_STRIP.cells);
    const x1 = Math.floor(((c + 1) * width) / RUNG_STRIP.cells);
    filters.push(`drawbox=x=${x0}:y=${y}:w=${x1 - x0}:h=${h}:color=white:t=fill`);
  });
  return filters;
}

export interface LadderOptions extends SignalOptions {
  /** Where each rung goes: rtmp://…/live/<stream>~<k>?key=… (publisher) or a file path (tests, bench). */
  target: (rung: Rung) => string;
}

/** Characters the tee muxer's slave list gives a meaning to: a target must not contain them. */
const TEE_SPECIAL = /[|[\]\\]/;

/**
 * One ffmpeg for a whole ABR ladder (issue 17). The source is rendered once at the top rung's size with every shared
 * overlay (one clock, counter, timecode strip, flash), then `split`; each rung is scaled (lanczos), gets its own label
 * and its rung strip along the bottom edge, and is encoded by its own libx264 with the same GOP (keyframe every second,
 * no scene cuts, no B-frames): every rung has its keyframes on the same frames and the same pts = dts. The audio is
 * encoded once (AAC) into its own rendition.
 *
 * Output: the tee muxer, one FLV slave per rendition (`select` = the output stream index, `onfail=ignore`). ffmpeg
 * encodes once and hands the same packets (the same timestamps) to each slave; a slave whose RTMP publish is refused
 * or whose connection drops is dropped while the others go on (ffmpeg logs "Slave muxer #k failed"), and when every
 * slave has failed (the packager went away) ffmpeg exits and the publisher restarts it. N separate outputs fail worse:
 * ffmpeg 5.1 exits when any output cannot be opened and ends all outputs after a write error on one.
 */
export function testSignalLadderJob(spec: StreamSpec, opts: LadderOptions): FfmpegJobSpec {
  const rungs = spec.ladder;
  if (!rungs?.length) throw new Error(`stream ${spec.name} declares no ladder`);
  const info = `${spec.name}  ladder ${rungs.length} rungs @${spec.fps}  H.264 + AAC ${spec.audioBitrateKbps}k`;
  const split = rungs.map((_, i) => `[s${i}]`).join('');
  const graph = [
    `[0:v]${sourceFilters(spec, opts, info).join(',')},split=${rungs.length}${split}`,
    ...rungs.map((r, i) => {
      const size = Math.round(r.height / 14);
      const label =
        `drawtext=fontfile=${opts.fontFile ?? FONT_FILE}:fontsize=${size}:fontcolor=yellow:box=1:boxcolor=black@0.75:` +
        `boxborderw=${Math.round(size / 4)}:x=(w-text_w)/2:y=h*0.66:text='${rungLabel(i, r)}'`;
      const scale = r.width === spec.width && r.height === spec.height ? [] : [`scale=${r.width}:${r.height}:flags=lanczos`];
      return `[s${i}]${[...scale, label, ...rungStripFilters(r.width, r.height, i), 'format=yuv420p'].join(',')}[v${i}]`;
    }),
    `[1:a]${audioFilter}[a]`,
  ].join(';');
  const renditions: Array<{ rung: Rung; map: string }> = [
    ...rungs.map((_, i) => ({ rung: { kind: 'video', index: i } as Rung, map: `[v${i}]` })),
    { rung: { kind: 'audio' }, map: '[a]' },
  ];
  const slaves = renditions.map(({ rung }, stream) => {
    const target = opts.target(rung);
    if (TEE_SPECIAL.test(target)) throw new Error(`ladder target must not contain | [ ] or \\: ${target}`);
    return `[f=flv:select=${stream}:onfail=ignore:flvflags=no_duration_filesize]${target}`;
  });
  return {
    globalOptions: ['-hide_banner', '-nostats', '-loglevel', 'warning'],
    inputs: testSignalInputs(spec, opts),
    output: slaves.join('|'),
    outputOptions: [
      '-filter_complex', graph,
      ...renditions.flatMap(({ map }) => ['-map', map]),
      ...x264Options(spec.fps),
      ...rungs.flatMap((r, i) => [`-b:v:${i}`, `${r.videoBitrateKbps}k`, `-maxrate:v:${i}`, `${r.videoBitrateKbps}k`, `-bufsize:v:${i}`, `${r.videoBitrateKbps * 2}k`]),
      ...aacOptions(spec),
      // FLV needs the codecs' headers up front: the tee muxer cannot ask the encoders for them as flv would.
      '-flags', '+global_header',
      '-f', 'tee',
    ],
  };
}
