import { DEFAULT_CATALOGUE, encodeRungCells, rungStripHeight } from '@livelab/media-testsignal';
import { AAC_PRIMING_SAMPLES, bitrateLabel, rungLabel, rungStripFilters, testSignalJob, testSignalLadderJob, timecodeStripFilters } from './test-signal-args';

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

describe('testSignalLadderJob', () => {
  const ladder = DEFAULT_CATALOGUE.find((s) => s.name === 'ladder-1080p30');
  if (!ladder) throw new Error('no ladder-1080p30');
  const target = (r: { kind: 'video'; index: number } | { kind: 'audio' }) => `rtmp://h:1935/live/ladder-1080p30~${r.kind === 'audio' ? 'audio' : r.index}?key=k`;
  const job = testSignalLadderJob(ladder, { startEpochMs: 1_764_000_000_250, target, utcOffsetMinutes: 0 });
  const opt = (name: string) => job.outputOptions[job.outputOptions.indexOf(name) + 1];
  const all = (name: string) => job.outputOptions.flatMap((o, i) => (o === name ? [job.outputOptions[i + 1]] : []));
  const graph = opt('-filter_complex');
  const chains = graph.split(';');

  it('renders the source once at the top rung size and splits it into one chain per rung', () => {
    expect(job.inputs[0].source).toBe('testsrc2=size=1920x1080:rate=30');
    expect(chains).toHaveLength(6); // the source, four rungs, the audio (AAC_PRIMING_SAMPLES cut off)
    expect(chains[5]).toBe(`[1:a]atrim=start_sample=${AAC_PRIMING_SAMPLES}[a]`);
    expect(chains[0].startsWith('[0:v]settb=1/1000,setpts=RTCTIME/1000-1764000000250,')).toBe(true);
    // Frame-index pts restored before the split: every rung gets the very same timestamps.
    expect(chains[0].endsWith(',settb=1/30,setpts=N,format=yuv420p,split=4[s0][s1][s2][s3]')).toBe(true);
    expect(chains[0]).toContain("text='ladder-1080p30  ladder 4 rungs @30  H.264 + AAC 128k'");
    expect(chains[0].match(/drawtext/g)).toHaveLength(4); // clock, date, frame counter, info: once, shared
    expect(chains[1].startsWith('[s0]drawtext=')).toBe(true); // the top rung is not scaled
    expect(chains[2].startsWith('[s1]scale=1280:720:flags=lanczos,drawtext=')).toBe(true);
    expect(chains[4].startsWith('[s3]scale=640:360:flags=lanczos,drawtext=')).toBe(true);
  });

  it('labels each rung and draws its rung strip last, at its own size', () => {
    expect(chains[3]).toContain("text='rung 2  854x480  1.2 Mbit/s'");
    expect(chains[3].endsWith(`${rungStripFilters(854, 480, 2).join(',')},format=yuv420p[v2]`)).toBe(true);
    expect(chains[1]).toContain("text='rung 0  1920x1080  4.5 Mbit/s'");
  });

  it('maps four video rungs and the audio, with one x264 GOP for all and a bitrate per rung', () => {
    expect(all('-map')).toEqual(['[v0]', '[v1]', '[v2]', '[v3]', '[a]']);
    expect(opt('-c:v')).toBe('libx264');
    expect(opt('-tune')).toBe('zerolatency'); // no B-frames: pts = dts in every rung
    expect([opt('-g'), opt('-keyint_min'), opt('-sc_threshold')]).toEqual(['30', '30', '0']);
    expect([0, 1, 2, 3].map((i) => `${opt(`-b:v:${i}`)} ${opt(`-maxrate:v:${i}`)} ${opt(`-bufsize:v:${i}`)}`)).toEqual([
      '4500k 4500k 9000k', '2500k 2500k 5000k', '1200k 1200k 2400k', '600k 600k 1200k',
    ]);
    expect(opt('-c:a')).toBe('aac');
    expect(opt('-flags')).toBe('+global_header');
    expect(opt('-f')).toBe('tee');
  });

  it('publishes each rendition as its own FLV slave of the tee muxer, one failing rung not ending the others', () => {
    expect(job.output.split('|')).toEqual([
      '[f=flv:select=0:onfail=ignore:flvflags=no_duration_filesize]rtmp://h:1935/live/ladder-1080p30~0?key=k',
      '[f=flv:select=1:onfail=ignore:flvflags=no_duration_filesize]rtmp://h:1935/live/ladder-1080p30~1?key=k',
      '[f=flv:select=2:onfail=ignore:flvflags=no_duration_filesize]rtmp://h:1935/live/ladder-1080p30~2?key=k',
      '[f=flv:select=3:onfail=ignore:flvflags=no_duration_filesize]rtmp://h:1935/live/ladder-1080p30~3?key=k',
      '[f=flv:select=4:onfail=ignore:flvflags=no_duration_filesize]rtmp://h:1935/live/ladder-1080p30~audio?key=k',
    ]);
  });

  it('refuses a target the tee muxer would misread, and a stream without a ladder', () => {
    expect(() => testSignalLadderJob(ladder, { startEpochMs: 0, target: () => 'a|b' })).toThrow(/must not contain/);
    expect(() => testSignalLadderJob(bars, { startEpochMs: 0, target })).toThrow(/declares no ladder/);
  });
});

describe('rung labels and strips', () => {
  it('names the bitrate plainly', () => {
    expect([4500, 1200, 1000, 600].map(bitrateLabel)).toEqual(['4.5 Mbit/s', '1.2 Mbit/s', '1 Mbit/s', '600 kbit/s']);
    expect(rungLabel(3, { width: 640, height: 360, videoBitrateKbps: 600 })).toBe('rung 3  640x360  600 kbit/s');
  });

  it('draws the 16 cells of the rung index along the bottom edge, white where the code is 1', () => {
    const f = rungStripFilters(640, 360, 5);
    const h = rungStripHeight(360);
    expect(h).toBe(14);
    expect(f[0]).toBe(`drawbox=x=0:y=${360 - h}:w=640:h=${h}:color=black:t=fill`);
    expect(f).toHaveLength(1 + encodeRungCells(5).filter(Boolean).length);
    expect(f[1]).toBe(`drawbox=x=0:y=346:w=40:h=14:color=white:t=fill`); // start guard cell 0
  });
});
