import { DEFAULT_CATALOGUE } from '@livelab/media-testsignal';
import { testSignalJob, timecodeStripFilters } from './test-signal-args';

const bars = DEFAULT_CATALOGUE[0];

describe('testSignalJob', () => {
  const job = testSignalJob(bars, { startEpochMs: 1_764_000_000_250, output: 'rtmp://h:1935/live/bars-720p30?key=k', utcOffsetMinutes: 60 });
  const opt = (name: string) => job.outputOptions[job.outputOptions.indexOf(name) + 1];

  it('reads lavfi sources in real time', () => {
    expect(job.inputs[0]).toEqual({ source: 'smptehdbars=size=1280x720:rate=30', options: ['-re', '-f', 'lavfi'] });
    expect(job.inputs[1].source).toBe("aevalsrc=exprs='0.5*sin(2*PI*1000*t)*lt(mod(floor(t*30+0.0001)/30+0.250,1),0.1)':s=48000:c=stereo");
  });

  it('encodes x264 veryfast zerolatency with a keyframe every second and no scene cuts, AAC 128k 48 kHz, FLV', () => {
    expect(opt('-c:v')).toBe('libx264');
    expect(opt('-preset')).toBe('veryfast');
    expect(opt('-tune')).toBe('zerolatency');
    expect(opt('-g')).toBe('30');
    expect(opt('-keyint_min')).toBe('30');
    expect(opt('-sc_threshold')).toBe('0');
    expect(opt('-b:v')).toBe('3000k');
    expect(opt('-c:a')).toBe('aac');
    expect(opt('-b:a')).toBe('128k');
    expect(opt('-ar')).toBe('48000');
    expect(opt('-f')).toBe('flv');
    expect(job.output).toBe('rtmp://h:1935/live/bars-720p30?key=k');
  });

  it('burns in the clock, date, frame counter, name and the flash in phase with the beep', () => {
    const vf = opt('-vf');
    expect(vf).toContain("text='bars-720p30  1280x720@30  H.264 3000k + AAC 128k'");
    expect(vf).toContain('%{eif\\:n\\:d\\:7}');
    expect(vf).toContain('%{pts\\:gmtime\\:1764003600.250\\:%Y-%m-%d}'); // local date at UTC+01:00
    expect(vf).toContain("enable='lt(mod(n/30+0.250,1),0.1)'"); // frame-index time, like the beep
    expect(vf.endsWith('format=yuv420p')).toBe(true);
  });

  it('stamps real-time frames with the wall clock when made, and restores frame-index pts before encoding', () => {
    const vf = opt('-vf');
    expect(vf.startsWith('settb=1/1000,setpts=RTCTIME/1000-1764000000250,')).toBe(true);
    expect(vf.endsWith(',settb=1/30,setpts=N,format=yuv420p')).toBe(true);
    const nominal = testSignalJob(bars, { startEpochMs: 1764000000250, output: 'x.flv', realtime: false, utcOffsetMinutes: 60 });
    const nvf = nominal.outputOptions[nominal.outputOptions.indexOf('-vf') + 1];
    expect(nvf).not.toContain('RTCTIME');
  });

  it('stops after durationSeconds when asked (tests)', () => {
    const j = testSignalJob(bars, { startEpochMs: 0, output: 'x.flv', durationSeconds: 2, realtime: false });
    expect(j.inputs[0]).toEqual({ source: 'smptehdbars=size=1280x720:rate=30:duration=2', options: ['-f', 'lavfi'] });
  });
});

describe('timecodeStripFilters', () => {
  it('draws a black strip, 4 guard cells and 56 data cells across the top 4 % of the frame', () => {
    const f = timecodeStripFilters(640, 360, 0);
    expect(f[0]).toBe('drawbox=x=0:y=0:w=640:h=14:color=black:t=fill');
    expect(f).toHaveLength(1 + 2 + 48 + 8 + 2);
    expect(f[1]).toBe('drawbox=x=0:y=0:w=10:h=14:color=white:t=fill');
    expect(f[f.length - 1]).toBe('drawbox=x=630:y=0:w=10:h=14:color=white:t=fill');
  });
});
