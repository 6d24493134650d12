import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTimecodeStrip, type StreamSpec } from '@livelab/media-testsignal';
import { probe, parseFrameRate, runFfmpeg } from '@livelab/media-ffmpeg';
import { testSignalJob } from '../src';

jest.setTimeout(90_000);

const spec: StreamSpec = {
  name: 'test-360p30', pattern: 'smptehdbars', width: 640, height: 360, fps: 30, videoBitrateKbps: 600, audioBitrateKbps: 128,
};
// 0.51 s past a whole second: the wall-clock second falls 10 ms before frame 15 (0.5 s); flash and beep start at frame 15.
const START = 1_764_000_000_510;

let dir: string;
let flv: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'livelab-signal-'));
  flv = join(dir, 'signal.flv');
  const exit = await runFfmpeg(testSignalJob(spec, { startEpochMs: START, output: flv, durationSeconds: 2, realtime: false, utcOffsetMinutes: 0 }));
  if (exit.code !== 0) throw new Error(`encode failed: ${exit.stderrTail.join('\n')}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('test signal (real ffmpeg)', () => {
  it('is H.264 + AAC 48 kHz stereo in FLV at the catalogue size and rate', async () => {
    const info = await probe(flv);
    const v = info.streams.find((s) => s.codec_type === 'video');
    const a = info.streams.find((s) => s.codec_type === 'audio');
    expect(info.format.format_name).toBe('flv');
    expect(v).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(parseFrameRate(v?.avg_frame_rate)).toBe(30);
    expect(a).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
  });

  it('has a keyframe every second and no others', async () => {
    const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=key_frame', '-of', 'json', flv], { encoding: 'utf8' });
    const frames = (JSON.parse(out) as { frames: Array<{ key_frame: number }> }).frames;
    const keys = frames.map((f, i) => (f.key_frame === 1 ? i : -1)).filter((i) => i >= 0);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys).toEqual(keys.map((_, i) => i * 30));
  });

  it('carries a timecode strip that decodes to start + pts on every frame', () => {
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', flv, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: 64 * 1024 * 1024 });
    const frameBytes = 640 * 360 * 4;
    const frames = raw.length / frameBytes;
    expect(frames).toBeGreaterThanOrEqual(60);
    for (let n = 0; n < frames; n++) {
      const rgba = new Uint8Array(raw.buffer, raw.byteOffset + n * frameBytes, frameBytes);
      expect(decodeTimecodeStrip(rgba, 640, 360)).toBe(START + Math.round((n * 1000) / 30));
    }
  });

  it('flashes exactly on the frames where the beep sounds', () => {
    // Mean luma of the flash box area per frame, and audio RMS per frame-length window.
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', flv, '-fps_mode', 'passthrough', '-vf', 'crop=40:40:iw-58-19+9:ih*0.16+9,scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 20 });
    const flashFrames = [...raw].map((l, i) => (l > 235 ? i : -1)).filter((i) => i >= 0);
    // Beep windows: wall-clock seconds start 0.5 s into the stream → frames 15,16,17 and 45,46,47 (100 ms at 30 fps).
    expect(flashFrames.filter((f) => f < 60)).toEqual([15, 16, 17, 45, 46, 47]);
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', flv, '-f', 's16le', '-ac', '1', '-ar', '48000', '-'], { maxBuffer: 16 << 20 });
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    const perFrame = 1600;
    const loud: number[] = [];
    for (let f = 0; f * perFrame < samples.length; f++) {
      let sum = 0;
      for (let i = f * perFrame; i < Math.min(samples.length, (f + 1) * perFrame); i++) sum += samples[i] ** 2;
      if (Math.sqrt(sum / perFrame) > 3000) loud.push(f);
    }
    // AAC priming shifts audio by up to a few ms: the loud windows are the flash frames (±1 at the edges).
    for (const f of [15, 16, 45, 46]) expect(loud).toContain(f);
    for (const f of loud) expect(flashFrames.some((ff) => Math.abs(ff - f) <= 1)).toBe(true);
    // The onset is the first flash frame's start to the sample (± 1 ms), not the wall-clock second 10 ms before it.
    // Sample k is heard at k/48000 s, frame n shown at n/30 s: the first packet is at 0 on both tracks
    // (AAC_PRIMING_SAMPLES: the decoder's 1024 priming samples stand where the cut-off input samples were).
    const onsets = [0, 1].map((s) => 1024 + s * 48000 + samples.subarray(1024 + s * 48000).findIndex((v) => Math.abs(v) > 8000));
    expect(Math.abs(onsets[0] - 15 * perFrame)).toBeLessThanOrEqual(48);
    expect(Math.abs(onsets[1] - 45 * perFrame)).toBeLessThanOrEqual(48);
  });
});
