// The multivariant playlist, the media playlists and the MPD of an ABR ladder's presentation (docs/abr.md), written
// from stores fed with real ffmpeg CMAF (test/cmaf-fixtures.ts) composed as the packager composes rung stores
// (ladder/presentation-store.ts), read through the oracles (hls-parser strict; fast-xml-parser + checkMpd).
import { LADDER_AUDIO_TRACK } from '@livelab/media-contract';
import { generateCmaf, removeCmaf, feedLive, type CmafFiles, FIXTURE_ENCODE_TIMEOUT_MS } from '../../test/cmaf-fixtures';
import { averageBitrate, CmafStore, peakBitrate, type LiveTimeline } from '../cmaf/cmaf-store';
import { playableTimeline } from '../cmaf/timeline';
import { PresentationStore } from '../ladder/presentation-store';
import { allElements, oneElement, parseMediaPlaylist, parseMpd, parseMultivariantPlaylist } from '../testing';
import { dashManifest } from './dash-manifest';
import { lastListedPart, mediaPlaylist, multivariantPlaylist } from './hls-playlists';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const NOW = new Date(T0 + 60_000);
const UTC_URL = 'http://127.0.0.1:8080/time';
let files: CmafFiles;
let presentation: PresentationStore;
let tl: LiveTimeline;

/** A rung's store: its video as track `videoId`, its audio as `audioId`. */
function rungStore(videoId: number, audioId: number, inProgressParts: number): CmafStore {
  const store = new CmafStore({ trackIdFor: (info) => (info.kind === 'video' ? videoId : audioId) });
  feedLive(store, files, { t0: T0, segments: 6, inProgressParts });
  return store;
}

beforeAll(async () => {
  files = await generateCmaf(8);
  jest.useFakeTimers();
  const top = rungStore(0, LADDER_AUDIO_TRACK, 2);
  const second = rungStore(1, 99, 1);
  tl = playableTimeline(top.readyTracks(), 1, 0.2) as LiveTimeline;
  jest.useRealTimers();
  presentation = new PresentationStore();
  presentation.add(0, top);
  presentation.add(LADDER_AUDIO_TRACK, top);
  presentation.add(1, second);
}, FIXTURE_ENCODE_TIMEOUT_MS);
afterAll(() => removeCmaf(files));

const tracks = () => presentation.readyTracks();

describe('the multivariant playlist of a ladder', () => {
  it.each(['standard', 'll'] as const)('%s: a STREAM-INF per rung, top first, each measured with the audio and in its group', (mode) => {
    const m = parseMultivariantPlaylist(multivariantPlaylist(tracks(), mode, { ladder: true }));
    const suffix = mode === 'll' ? '-ll' : '';
    expect(m.variants.map((v) => v.uri)).toEqual([`media_0${suffix}.m3u8`, `media_1${suffix}.m3u8`]);
    const audio = presentation.track(LADDER_AUDIO_TRACK);
    for (const [i, v] of m.variants.entries()) {
      const video = presentation.track(i);
      if (!video || !audio) throw new Error('missing track');
      expect(v.bandwidth).toBe(peakBitrate(video) + peakBitrate(audio));
      expect(v.averageBandwidth).toBe(averageBitrate(video) + averageBitrate(audio));
      expect(v.codecs).toBe(`${video.info?.codec},${audio.info?.codec}`);
      expect(v.resolution).toEqual({ width: 320, height: 180 });
      expect(v.frameRate).toBeCloseTo(30, 3);
      expect(v.audio.map((a) => [a.groupId, a.uri])).toEqual([['audio', `media_${LADDER_AUDIO_TRACK}${suffix}.m3u8`]]);
    }
  });

  it('is the single-rendition playlist when not a ladder (one STREAM-INF)', () => {
    expect(parseMultivariantPlaylist(multivariantPlaylist(tracks(), 'standard')).variants).toHaveLength(1);
  });
});

describe('the low-latency media playlists of a ladder', () => {
  it.each([0, 1, LADDER_AUDIO_TRACK])('track %s reports every other rendition (LAST-MSN, LAST-PART of its newest part)', (id) => {
    const t = presentation.track(id);
    if (!t) throw new Error('missing track');
    const others = tracks().filter((o) => o !== t);
    const { playlist } = parseMediaPlaylist(mediaPlaylist(t, tl, 'll', { renditionReports: others }));
    expect(playlist.renditionReports.map((r) => [r.uri, r.lastMSN, r.lastPart])).toEqual(
      others.map((o) => [`media_${o.id}-ll.m3u8`, lastListedPart(o).msn, lastListedPart(o).part]),
    );
    // Rung 1 is one part behind the top rung here: its report says so.
    if (id === 0) expect(playlist.renditionReports[0].lastPart).toBe(0);
  });

  it('writes no rendition report in a standard playlist', () => {
    const t = presentation.track(0);
    if (!t) throw new Error('missing track');
    expect(parseMediaPlaylist(mediaPlaylist(t, tl, 'standard', { renditionReports: tracks() })).playlist.renditionReports).toEqual([]);
  });
});

describe('the MPD of a ladder', () => {
  const mpd = (mode: 'standard' | 'll') => dashManifest(tracks(), tl, { mode, utcTimingUrl: UTC_URL, now: NOW, ladder: true });

  it.each(['standard', 'll'] as const)('%s: one video AdaptationSet with a Representation per rung and one shared template, then the audio', (mode) => {
    const { root } = parseMpd(mpd(mode));
    const sets = allElements(root, 'AdaptationSet');
    expect(sets.map((s) => [s.attrs['id'], s.attrs['contentType']])).toEqual([['0', 'video'], [String(LADDER_AUDIO_TRACK), 'audio']]);
    const video = sets[0];
    expect(video.attrs).toMatchObject({ segmentAlignment: 'true', maxWidth: '320', maxHeight: '180' });
    expect(allElements(video, 'Representation').map((r) => r.attrs['id'])).toEqual(['0', '1']);
    const template = oneElement(video, 'SegmentTemplate');
    expect(video.children.indexOf(template)).toBeLessThan(video.children.findIndex((c) => c.name === 'Representation'));
    expect(template.attrs['media']).toContain('$RepresentationID$');
    expect(template.attrs['startNumber']).toBe(String(tl.firstNumber));
  });

  it.each<[string, (s: string) => string, RegExp]>([
    ['aligned Representations with different start numbers', (s) => s.replace(/<Representation id="1"([^>]*)\/>/, (_m, a: string) => `<Representation id="1"${a}><SegmentTemplate timescale="1" duration="1" startNumber="7" initialization="init-$RepresentationID$.m4s" media="chunk-$RepresentationID$-$Number%05d$.m4s"/></Representation>`), /@startNumber 7/],
    ['aligned Representations with different presentation time offsets', (s) => {
      const shared = (/<SegmentTemplate [^>]*\/>/.exec(s) as RegExpExecArray)[0].replace(/presentationTimeOffset="\d+"/, 'presentationTimeOffset="9990000"');
      return s.replace(/<Representation id="1"([^>]*)\/>/, (_m, a: string) => `<Representation id="1"${a}>${shared}</Representation>`);
    }, /@presentationTimeOffset/],
    ['a Representation wider than the set\'s maxWidth', (s) => s.replace('maxWidth="320"', 'maxWidth="160"'), /above @maxWidth/],
  ])('the oracle rejects %s', (_what, breakIt, reason) => {
    const good = mpd('standard');
    expect(() => parseMpd(good)).not.toThrow();
    const broken = breakIt(good);
    expect(broken).not.toBe(good);
    expect(() => parseMpd(broken)).toThrow(reason);
  });
});
