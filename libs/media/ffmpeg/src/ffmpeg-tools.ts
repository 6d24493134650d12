import { execFile } from 'node:child_process';

export const FFMPEG_INSTALL_HINT = 'install it: sudo apt-get install ffmpeg fonts-dejavu-core';

/** Is ffmpeg there? `{ ok: false, message }` is one plain line for the user, never a stack trace. */
export function checkFfmpeg(
  ffmpegPath = 'ffmpeg',
): Promise<{ ok: true; version: string } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    execFile(ffmpegPath, ['-hide_banner', '-version'], { timeout: 10_000 }, (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve({
          ok: false,
          message:
            code === 'ENOENT'
              ? `ffmpeg not found (${ffmpegPath}) — ${FFMPEG_INSTALL_HINT}`
              : `ffmpeg (${ffmpegPath}) does not run: ${err.message.split('\n')[0]}`,
        });
        return;
      }
      const m = /ffmpeg version (\S+)/.exec(stdout);
      resolve({ ok: true, version: m ? m[1] : 'unknown' });
    });
  });
}

export interface ProbeStream {
  index: number;
  codec_type: 'video' | 'audio' | string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  bit_rate?: string;
  /** First presentation time, s (an MP4's edit list applied unless `-ignore_editlist 1`). */
  start_time?: string;
}
export interface ProbeResult {
  streams: ProbeStream[];
  format: { format_name?: string; duration?: string; bit_rate?: string; [k: string]: unknown };
}

/** ffprobe a file or URL (`-of json`). Rejects with ffprobe's own message on failure or timeout. */
export function probe(url: string, opts: { timeoutMs?: number; ffprobePath?: string; args?: string[] } = {}): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(
      opts.ffprobePath ?? 'ffprobe',
      ['-hide_banner', '-v', 'error', '-of', 'json', '-show_streams', '-show_format', ...(opts.args ?? []), url],
      { timeout: opts.timeoutMs ?? 15_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`ffprobe ${url}: ${(stderr || err.message).trim().split('\n').pop()}`));
        try {
          const parsed = JSON.parse(stdout) as ProbeResult;
          resolve({ streams: parsed.streams ?? [], format: parsed.format ?? {} });
        } catch (e) {
          reject(new Error(`ffprobe ${url}: unreadable output (${(e as Error).message})`));
        }
      },
    );
  });
}

/** "30000/1001" → 29.97; "0/0" → undefined. */
export function parseFrameRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d] = rate.split('/').map(Number);
  if (!d || !Number.isFinite(n / d) || n === 0) return undefined;
  return Math.round((n / d) * 1000) / 1000;
}
