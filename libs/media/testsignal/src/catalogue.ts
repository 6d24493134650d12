// The catalogue of test streams the generator publishes. Browser-safe.
import { STREAM_NAME_PATTERN } from '@livelab/media-contract';
import { z } from 'zod';

export interface StreamSpec {
  /** Stream name: the last path element of rtmp://…/live/<name> and of /live/<name>/ on the packager. */
  name: string;
  /** lavfi source: SMPTE HD colour bars (still) or testsrc2 (moving pattern, harder to encode). */
  pattern: 'smptehdbars' | 'testsrc2';
  width: number;
  height: number;
  fps: number;
  videoBitrateKbps: number;
  audioBitrateKbps: number;
}

export const DEFAULT_CATALOGUE: StreamSpec[] = [
  { name: 'bars-720p30', pattern: 'smptehdbars', width: 1280, height: 720, fps: 30, videoBitrateKbps: 3000, audioBitrateKbps: 128 },
  { name: 'motion-1080p30', pattern: 'testsrc2', width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4500, audioBitrateKbps: 128 },
  // The original system's stream: 1024x768 at 60 fps. Moving pattern, so the 60 fps motion is visible.
  { name: 'seed-768p60', pattern: 'testsrc2', width: 1024, height: 768, fps: 60, videoBitrateKbps: 3000, audioBitrateKbps: 128 },
  { name: 'low-360p30', pattern: 'smptehdbars', width: 640, height: 360, fps: 30, videoBitrateKbps: 800, audioBitrateKbps: 128 },
];

const even = (what: string, max: number) =>
  z.number().int().min(64, `${what} must be at least 64`).max(max, `${what} must be at most ${max}`).refine((n) => n % 2 === 0, `${what} must be even`);

export const streamSpecSchema = z.object({
  name: z.string().regex(STREAM_NAME_PATTERN, 'name must be lowercase letters, digits, ".", "_" or "-" (max 64)'),
  pattern: z.enum(['smptehdbars', 'testsrc2'], { message: 'pattern must be smptehdbars or testsrc2' }),
  width: even('width', 3840),
  height: even('height', 2160),
  fps: z.number().int().min(1, 'fps must be 1-120').max(120, 'fps must be 1-120'),
  videoBitrateKbps: z.number().int().min(100).max(50_000).default(3000),
  audioBitrateKbps: z.number().int().min(32).max(320).default(128),
});

/** Parse a JSON catalogue (an array of stream specs). Throws an Error with one clear line. */
export function parseCatalogue(json: string): StreamSpec[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new Error(`stream catalogue is not valid JSON: ${(e as Error).message}`);
  }
  const result = z.array(streamSpecSchema).min(1, 'stream catalogue is empty').safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? `stream catalogue [${issue.path.join('.')}]` : 'stream catalogue';
    throw new Error(`${where}: ${issue.message}`);
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
