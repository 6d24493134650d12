// The catalogue of test streams the generator publishes. Browser-safe.
import { MAX_RUNGS, STREAM_NAME_PATTERN } from '@livelab/media-contract';
import { z } from 'zod';

/** One video rendition of an ABR ladder. The fps is the stream's (a cheap ladder is a stream with a lower fps). */
export interface LadderRung {
  width: number;
  height: number;
  videoBitrateKbps: number;
}

export interface StreamSpec {
  /** Stream name: the last path element of rtmp://…/live/<name> and of /live/<name>/ on the packager. */
  name: string;
  /** lavfi source: SMPTE HD colour bars (still) or testsrc2 (moving pattern, harder to encode). */
  pattern: 'smptehdbars' | 'testsrc2';
  /** The rendered source's size; for a ladder, the top rung's size. */
  width: number;
  height: number;
  fps: number;
  /** The video bitrate; for a ladder, the top rung's. */
  videoBitrateKbps: number;
  audioBitrateKbps: number;
  /**
   * An ABR ladder: the video rungs, top (highest bitrate) first. The stream is then published as one RTMP stream per
   * rung, `<name>~0` (top) … `<name>~<n-1>`, video only, plus `<name>~audio` (AAC only) — see
   * @livelab/media-contract ladder-names.ts. Absent: one rendition with audio, published as `<name>`.
   */
  ladder?: LadderRung[];
}

/** The smallest rung: the timecode strip's 64 cells keep 3 px each, so it still decodes from the decoded frame. */
export const MIN_RUNG_WIDTH = 192;
export const MIN_RUNG_HEIGHT = 108;

const ladder1080p: LadderRung[] = [
  { width: 1920, height: 1080, videoBitrateKbps: 4500 },
  { width: 1280, height: 720, videoBitrateKbps: 2500 },
  { width: 854, height: 480, videoBitrateKbps: 1200 },
  { width: 640, height: 360, videoBitrateKbps: 600 },
];
const ladder720p: LadderRung[] = ladder1080p.slice(1);

export const DEFAULT_CATALOGUE: StreamSpec[] = [
  { name: 'bars-720p30', pattern: 'smptehdbars', width: 1280, height: 720, fps: 30, videoBitrateKbps: 3000, audioBitrateKbps: 128 },
  { name: 'motion-1080p30', pattern: 'testsrc2', width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4500, audioBitrateKbps: 128 },
  // The original system's stream: 1024x768 at 60 fps. Moving pattern, so the 60 fps motion is visible.
  { name: 'seed-768p60', pattern: 'testsrc2', width: 1024, height: 768, fps: 60, videoBitrateKbps: 3000, audioBitrateKbps: 128 },
  { name: 'low-360p30', pattern: 'smptehdbars', width: 640, height: 360, fps: 30, videoBitrateKbps: 800, audioBitrateKbps: 128 },
  // ABR ladders (issue 17). Moving pattern, so each rung really needs its bitrate and a switch is visible.
  { name: 'ladder-1080p30', pattern: 'testsrc2', width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4500, audioBitrateKbps: 128, ladder: ladder1080p },
  // The cheaper ladder for 2-core boxes: no 1080p rung (CPU: docs/benchmarks.md, "Generator: ABR ladder CPU").
  { name: 'ladder-720p30', pattern: 'testsrc2', width: 1280, height: 720, fps: 30, videoBitrateKbps: 2500, audioBitrateKbps: 128, ladder: ladder720p },
];

/**
 * What the generator publishes when STREAMS is unset (`npm start`, the k8s generator): what a 2-core box can encode
 * beside the packager and a browser — 1.1 cores (docs/benchmarks.md "Generator: the default streams' CPU"). With
 * seed-768p60 as well (0.56 cores more) the quick start needed 2.2 cores with one browser playing: the ladder fell
 * behind the wall clock ~0.4 s every second and dash.js, which finds the live edge from the wall clock, stopped.
 * seed-768p60, ladder-1080p30 (1.25 cores) and motion-1080p30 are chosen with STREAMS.
 */
export const DEFAULT_STREAM_NAMES: readonly string[] = ['bars-720p30', 'low-360p30', 'ladder-720p30'];

const evenInt = (what: string, min: number, max: number) =>
  z
    .number({ message: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`)
    .refine((n) => n % 2 === 0, `${what} must be even`);
const videoBitrate = () =>
  z.number({ message: 'videoBitrateKbps must be a number' }).int('videoBitrateKbps must be a whole number').min(100, 'videoBitrateKbps must be 100-50000').max(50_000, 'videoBitrateKbps must be 100-50000');

const rungSchema = z.object({
  width: evenInt('width', MIN_RUNG_WIDTH, 3840),
  height: evenInt('height', MIN_RUNG_HEIGHT, 2160),
  videoBitrateKbps: videoBitrate(),
});

export const streamSpecSchema = z
  .object({
    name: z.string().regex(STREAM_NAME_PATTERN, 'name must be lowercase letters, digits, ".", "_" or "-" (max 64)'),
    pattern: z.enum(['smptehdbars', 'testsrc2'], { message: 'pattern must be smptehdbars or testsrc2' }),
    width: evenInt('width', 64, 3840),
    height: evenInt('height', 64, 2160),
    fps: z.number().int('fps must be 1-120').min(1, 'fps must be 1-120').max(120, 'fps must be 1-120'),
    videoBitrateKbps: videoBitrate().optional(),
    audioBitrateKbps: z.number().int().min(32).max(320).default(128),
    ladder: z
      .array(rungSchema)
      .min(1, 'ladder must have at least one rung')
      .max(MAX_RUNGS, `ladder must have at most ${MAX_RUNGS} rungs (the rung strip's 4 bits)`)
      .optional(),
  })
  .superRefine((s, ctx) => {
    const rungs = s.ladder;
    // zod runs this refinement even when a field above already failed: compare only what is well typed.
    const numbers = (...v: unknown[]) => v.every((n) => typeof n === 'number');
    if (!rungs?.length || !numbers(s.width, s.height) || !rungs.every((r) => r && numbers(r.width, r.height, r.videoBitrateKbps))) return;
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
    const top = rungs[0];
    if (top.width !== s.width || top.height !== s.height) {
      issue(['ladder', 0], `the top rung must be the stream's size ${s.width}x${s.height} (the source is rendered once at it), not ${top.width}x${top.height}`);
    }
    if (s.videoBitrateKbps !== undefined && s.videoBitrateKbps !== top.videoBitrateKbps) {
      issue(['videoBitrateKbps'], `videoBitrateKbps must be the top rung's (${top.videoBitrateKbps}) or left out`);
    }
    rungs.forEach((r, i) => {
      if (r.width > s.width || r.height > s.height) issue(['ladder', i], `rung ${r.width}x${r.height} is larger than the source ${s.width}x${s.height}`);
      if (i === 0) return;
      const above = rungs[i - 1];
      if (r.videoBitrateKbps >= above.videoBitrateKbps) {
        issue(['ladder', i, 'videoBitrateKbps'], `rungs must be sorted by bitrate, highest first: ${r.videoBitrateKbps} is not below rung ${i - 1}'s ${above.videoBitrateKbps}`);
      }
      if (r.width > above.width || r.height > above.height) {
        issue(['ladder', i], `rung ${r.width}x${r.height} is larger than rung ${i - 1} above it (${above.width}x${above.height})`);
      }
    });
  })
  .transform((s): StreamSpec => {
    const { ladder, videoBitrateKbps, ...rest } = s;
    return { ...rest, videoBitrateKbps: videoBitrateKbps ?? ladder?.[0].videoBitrateKbps ?? 3000, ...(ladder ? { ladder } : {}) };
  });

/** Parse a JSON catalogue (an array of stream specs). Throws an Error with one clear line per bad value. */
export function parseCatalogue(json: string): StreamSpec[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new Error(`stream catalogue is not valid JSON: ${(e as Error).message}`);
  }
  const result = z.array(streamSpecSchema).min(1, 'stream catalogue is empty').safeParse(data);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const where = issue.path.length ? `stream catalogue [${issue.path.join('.')}]` : 'stream catalogue';
      return `${where}: ${issue.message}`;
    });
    throw new Error(lines.join('\n'));
  }
  const names = new Set<string>();
  for (const s of result.data) {
    if (names.has(s.name)) throw new Error(`stream catalogue: duplicate name "${s.name}"`);
    names.add(s.name);
  }
  return result.data;
}

/** Pick streams by name (comma list); unknown names are an error naming them and the known ones. */
export function selectStreams(catalogue: StreamSpec[], names: string | undefined): StreamSpec[] {
  if (!names || !names.trim()) return catalogue;
  const wanted = names.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = wanted.filter((n) => !catalogue.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(`unknown stream ${unknown.join(', ')} (known: ${catalogue.map((s) => s.name).join(', ')})`);
  }
  return catalogue.filter((s) => wanted.includes(s.name));
}
