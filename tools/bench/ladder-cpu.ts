// Benchmark (not a test): the CPU an ABR ladder's one ffmpeg costs (issue 17), side by side with the single-rendition
// motion-1080p30 in the same run. Each stream's real generator job (the same arguments the publisher uses, `-re`, the
// wall-clock stamping) encodes for BENCH_SECONDS to FLV files in a temporary directory (no RTMP: the muxing cost of
// a file and of an RTMP publish are both negligible next to x264), one stream at a time, the streams interleaved per
// repetition so a change in the box's load hits all alike. CPU = utime + stime of the ffmpeg process from
// /proc/<pid>/stat over the steady part of the run (after a warm-up), divided by the seconds of video ffmpeg made in that
// time (its `-progress` frame count / fps): CPU seconds per second of video, i.e. the cores it needs to keep real time.
// Also: whether it kept real time on this box (video made / wall time), and the bitrate each rendition came out at.
// Run: `npx nx run generator:bench-ladder`. Env: BENCH_STREAMS (motion-1080p30,ladder-1080p30,ladder-720p30,ladder-720p30@15;
// `name@fps` = that stream at another frame rate),
// BENCH_SECONDS (30), BENCH_REPS (3), BENCH_WARMUP_S (3).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegRun, type FfmpegJobSpec } from '@livelab/media-ffmpeg';
import { testSignalJob, testSignalLadderJob } from '@livelab/media-generator';
import { DEFAULT_CATALOGUE, selectStreams, type StreamSpec } from '@livelab/media-testsignal';
import type { Rung } from '@livelab/media-contract';

/** A catalogue name, or `<name>@<fps>`: the same stream at a lower frame rate (what a cheaper ladder would cost). */
const STREAMS = (process.env['BENCH_STREAMS'] ?? 'motion-1080p30,ladder-1080p30,ladder-720p30,ladder-720p30@15').split(',').map((entry): StreamSpec => {
  const [name, fps] = entry.trim().split('@');
  const [spec] = selectStreams(DEFAULT_CATALOGUE, name);
  return fps ? { ...spec, name: `${spec.name}@${fps}`, fps: Number(fps) } : spec;
});
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const REPS = Number(process.env['BENCH_REPS'] ?? 3);
const WARMUP_S = Number(process.env['BENCH_WARMUP_S'] ?? 3);
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, seconds (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised name). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface Output { label: string; path: string; video: boolean }
interface Sample { cores: number; realtime: number; kbps: Record<string, number>; load: number }

function jobFor(spec: StreamSpec, dir: string): { job: FfmpegJobSpec; outputs: Output[] } {
  const startEpochMs = Date.now();
  if (!spec.ladder) {
    const path = join(dir, `${spec.name}.flv`);
    return { job: testSignalJob(spec, { startEpochMs, output: path }), outputs: [{ label: `${spec.width}x${spec.height}`, path, video: true }] };
  }
  const outputs: Output[] = [];
  const target = (r: Rung) => {
    const path = join(dir, `${spec.name}-${r.kind === 'audio' ? 'audio' : r.index}.flv`);
    const rung = r.kind === 'video' ? spec.ladder?.[r.index] : undefined;
    outputs.push({ label: rung ? `${rung.width}x${rung.height}` : 'audio', path, video: r.kind === 'video' });
    return path;
  };
  return { job: testSignalLadderJob(spec, { startEpochMs, target }), outputs };
}

async function measure(spec: StreamSpec): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'livelab-bench-ladder-'));
  try {
    const { job, outputs } = jobFor(spec, dir);
    const progress = join(dir, 'progress.txt');
    job.globalOptions = [...(job.globalOptions ?? []), '-progress', progress, '-stats_period', '0.25'];
    /** Frames ffmpeg has encoded so far (the last `frame=` of its -progress file). */
    const frames = () => {
      const all = [...readFileSync(progress, 'utf8').matchAll(/^frame=(\d+)$/gm)];
      return Number(all[all.length - 1]?.[1] ?? 0);
    };
    const run = new FfmpegRun(job);
    const spawned = new Promise<void>((resolve) => run.once('spawn', () => resolve()));
    const exit = run.start();
    await spawned;
    const pid = run.pid;
    if (!pid) throw new Error(`${spec.name}: no ffmpeg pid`);
    await sleep(WARMUP_S * 1000);
    const [cpu0, f0, w0] = [cpuSeconds(pid), frames(), Date.now()];
    const load0 = loadavg()[0];
    await sleep(SECONDS * 1000);
    const [cpu1, f1, w1] = [cpuSeconds(pid), frames(), Date.now()];
    const videoS = (f1 - f0) / spec.fps;
    const load = (load0 + loadavg()[0]) / 2;
    await run.stop(5000);
    const ended = await exit;
    if (!run.running && ended.code !== 0 && ended.code !== 255 && ended.signal === null) throw new Error(`${spec.name}: ffmpeg failed: ${ended.stderrTail.join(' | ')}`);
    const kbps: Record<string, number> = {};
    for (const o of outputs) {
      const packets = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts', '-of', 'csv=p=0', o.path], { encoding: 'utf8' }).trim().split('\n');
      const durationS = (Number(packets[packets.length - 1]) - Number(packets[0])) / 1000;
      kbps[o.label] = Math.round((statSync(o.path).size * 8) / durationS / 1000);
    }
    if (!(videoS > 0)) throw new Error(`${spec.name}: no frames made in ${SECONDS} s`);
    return { cores: (cpu1 - cpu0) / videoS, realtime: videoS / ((w1 - w0) / 1000), kbps, load };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (cores: number) => `${Math.round(cores * 100)} %`;

async function main() {
  const startedAt = new Date().toISOString();
  console.log(`ladder CPU bench: ${STREAMS.map((s) => s.name).join(', ')}; ${REPS} × ${SECONDS} s each (+${WARMUP_S} s warm-up); ` +
    `${cpus().length} × ${cpus()[0]?.model.trim()}; load before ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const samples = new Map<string, Sample[]>(STREAMS.map((s) => [s.name, []]));
  for (let rep = 1; rep <= REPS; rep++) {
    for (const spec of STREAMS) {
      const s = await measure(spec);
      samples.get(spec.name)?.push(s);
      console.log(`rep ${rep} ${spec.name}: ${pct(s.cores)} of a core, real time ×${s.realtime.toFixed(3)}, load ${s.load.toFixed(1)}, ` +
        Object.entries(s.kbps).map(([k, v]) => `${k} ${v}k`).join(', '));
    }
  }
  const base = median(samples.get('motion-1080p30')?.map((s) => s.cores) ?? []);
  console.log(`\n${startedAt} → ${new Date().toISOString()}\n`);
  console.log('| stream | renditions | CPU (cores per second of video), median | spread (min–max) | × motion-1080p30 | real time (video made / wall time) | bitrates out (kbit/s) | load avg |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const spec of STREAMS) {
    const ss = samples.get(spec.name) ?? [];
    const cores = ss.map((s) => s.cores);
    const renditions = spec.ladder ? spec.ladder.map((r) => `${r.height}p`).join(' + ') + ' + audio' : `${spec.height}p + audio`;
    const kbps = Object.keys(ss[0]?.kbps ?? {}).map((k) => `${k} ${Math.round(median(ss.map((s) => s.kbps[k])))}`).join(', ');
    console.log(`| ${spec.name} | ${renditions} @${spec.fps} | ${median(cores).toFixed(2)} (${pct(median(cores))}) | ${Math.min(...cores).toFixed(2)}–${Math.max(...cores).toFixed(2)} | ` +
      `${base ? (median(cores) / base).toFixed(2) : '–'} | ${Math.min(...ss.map((s) => s.realtime)).toFixed(3)}–${Math.max(...ss.map((s) => s.realtime)).toFixed(3)} | ${kbps} | ` +
      `${Math.min(...ss.map((s) => s.load)).toFixed(1)}–${Math.max(...ss.map((s) => s.load)).toFixed(1)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
