// A small ABR ladder encoded by real ffmpeg (three low-resolution rungs + audio, 3 s, faster than real time, to FLV
// files: the same FLV muxer and timestamps the RTMP publish carries) and read back with ffprobe/ffmpeg: the rungs must
// be interchangeable frame for frame — keyframes on the same pts, the same frame count, the same timestamps — and each
// must say which rung it is (rung strip) and show the same capture time (timecode strip) as the others.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRungStrip, decodeTimecodeStrip, flashBox, streamSpecSchema, type StreamSpec } from '@livelab/media-testsignal';
import { probe, runFfmpeg } from '@livelab/media-ffmpeg';
import type { Rung } from '@livelab/media-contract';
import { testSignalLadderJob } from '../src';

jest.setTimeout(120_000);

// 960x540 → 320x180 is the same 3:1 step as ladder-1080p30's 1920x1080 → 640x360.
const spec: StreamSpec = streamSpecSchema.parse({
  name: 'test-ladder', pattern: 'testsrc2', width: 960, height: 540, fps: 30, audioBitrateKbps: 128,
  ladder: [
    { width: 960, height: 540, videoBitrateKbps: 1500 },
    { width: 480, height: 270, videoBitrateKbps: 500 },
    { width: 320, height: 180, videoBitrateKbps: 250 },
  ],
});
const rungs = spec.ladder ?? [];
const START = 1_764_000_000_510; // 0.51 s past a second: flash and beep start at frame 15 (see test-signal.test.ts)
const SECONDS = 3;
const FRAMES = SECONDS * spec.fps;

let dir: string;
const file = (r: Rung) => join(dir, `${r.kind === 'audio' ? 'audio' : `rung-${r.index}`}.flv`);
const video = (index: number) => file({ kind: 'video', index });

interface Packet { pts: number; dts: number; key: boolean }
const packets = (path: string): Packet[] => {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts,dts,flags', '-of', 'json', path], { encoding: 'utf8' });
  return (JSON.parse(out) as { packets: Array<{ pts: number; dts: number; flags: string }> }).packets.map((p) => ({ pts: p.pts, dts: p.dts, key: p.flags.startsWith('K') }));
};
/** Every 10th frame of a rung as RGBA (n = 0, 10, 20, …), with the frame's pts in ms. */
const sampledFrames = (index: number) => {
  const { width, height } = rungs[index];
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', video(index), '-vf', "select='not(mod(n,10))'", '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: 256 << 20 });
  const size = width * height * 4;
  return Array.from({ length: raw.length / size }, (_, j) => new Uint8Array(raw.buffer, raw.byteOffset + j * size, size));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'livelab-ladder-'));
  const exit = await runFfmpeg(testSignalLadderJob(spec, { startEpochMs: START, durationSeconds: SECONDS, realtime: false, utcOffsetMinutes: 0, target: file }));
  if (exit.code !== 0) throw new Error(`ladder encode failed: ${exit.stderrTail.join('\n')}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ABR ladder (real ffmpeg)', () => {
  it('writes one video-only H.264 rendition per rung at its size, and one audio-only AAC rendition', async () => {
    for (const [i, r] of rungs.entries()) {
      const info = await probe(video(i));
      expect(info.streams.map((s) => `${s.codec_type} ${s.codec_name} ${s.width}x${s.height}`)).toEqual([`video h264 ${r.width}x${r.height}`]);
    }
    const audio = await probe(file({ kind: 'audio' }));
    expect(audio.streams).toHaveLength(1);
    expect(audio.streams[0]).toMatchObject({ codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2 });
  });

  it('gives every rung the same frames: the same count, the same timestamps (pts = dts), keyframes on the same pts each second', () => {
    const all = rungs.map((_, i) => packets(video(i)));
    const top = all[0];
    expect(top).toHaveLength(FRAMES);
    expect(top.filter((p) => p.key).map((p) => p.pts)).toEqual([0, 1000, 2000]);
    for (const rung of all) {
      expect(rung.map((p) => p.pts)).toEqual(top.map((p) => p.pts));
      expect(rung.map((p) => p.dts)).toEqual(top.map((p) => p.pts)); // no B-frames: nothing reordered or shifted
      expect(rung.map((p) => p.key)).toEqual(top.map((p) => p.key));
    }
  });

  it('shows in each rung its own index (rung strip) and the same capture time as the other rungs (timecode strip)', () => {
    const decoded = rungs.map((r, i) => sampledFrames(i).map((rgba) => ({ rung: decodeRungStrip(rgba, r.width, r.height), time: decodeTimecodeStrip(rgba, r.width, r.height) })));
    expect(decoded[0]).toHaveLength(FRAMES / 10);
    for (const [i, frames] of decoded.entries()) {
      expect(frames.map((f) => f.rung)).toEqual(frames.map(() => i));
      // Frame n = 10·j was made at START + n/fps (faster than real time: nominal capture time).
      expect(frames.map((f) => f.time)).toEqual(frames.map((_, j) => START + Math.round((j * 10 * 1000) / spec.fps)));
    }
  });

  it('the audio rendition beeps on the flash frames of the smallest rung', () => {
    const { width, height } = rungs[2];
    const box = flashBox(width, height);
    // The middle of the flash square, averaged to one grey pixel per frame.
    const m = Math.round(box.size / 4);
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', video(2), '-fps_mode', 'passthrough', '-vf', `crop=${box.size - 2 * m}:${box.size - 2 * m}:${box.x + m}:${box.y + m},scale=1:1`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 20 });
    const flashFrames = [...raw].map((l, i) => (l > 235 ? i : -1)).filter((i) => i >= 0);
    expect(flashFrames).toEqual([15, 16, 17, 45, 46, 47, 75, 76, 77]);
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', file({ kind: 'audio' }), '-f', 's16le', '-ac', '1', '-ar', '48000', '-'], { maxBuffer: 16 << 20 });
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    // The audio is its own FLV: sample k is heard at k/48000 s, as frame n of a rung's FLV is shown at n/30 s — both
    // files start at 0 (AAC_PRIMING_SAMPLES; with the priming this muxer alone moved its audio 1024 samples late).
    // One frame = 1600 samples.
    const onsets = [0, 1, 2].map((s) => 1024 + s * 48000 + samples.subarray(1024 + s * 48000).findIndex((v) => Math.abs(v) > 8000));
    onsets.forEach((onset, s) => expect(Math.abs(onset - (15 + 30 * s) * 1600)).toBeLessThanOrEqual(48));
    // Silent between beeps: nothing loud from the end of one beep window to the next onset.
    const between = samples.subarray(18 * 1600 + 480, 45 * 1600 - 480);
    expect(Math.max(...between.map((v) => Math.abs(v)))).toBeLessThan(1000);
  });
});
