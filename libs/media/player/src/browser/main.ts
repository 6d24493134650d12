// The live page: stream list (follows /api/streams), HLS (hls.js) or DASH (dash.js) playback, live stats.
import Hls from 'hls.js';
import * as dashjs from 'dashjs';
import {
  manifestPath,
  pageQuery,
  PAGE_PARAMS,
  parseLiveDelay,
  parsePageSource,
  STREAMS_API_PATH,
  type Format,
  type Mode,
  type PageStats,
  type PageStatsWindow,
  type StreamList,
  type StreamSummary,
} from '@livelab/media-contract';
import { DASH_LL_SETTINGS, DASH_SETTINGS, dashWithLiveDelay, HLS_CONFIG, HLS_LL_CONFIG, hlsWithLiveDelay } from './player-settings';
import { LatencyMeter, measureClockOffset } from './latency-meter';
import { drawAbrPlot, drawLatencyPlot } from './plot';
import { AbrMonitor } from './abr-monitor';
import { RungMeter } from './rung-meter';
import { RenditionMenu } from './rendition-menu';
import { BandwidthCap, cappedDashInterceptor, cappedHlsLoader, dashThroughputSettings } from './throttle';
import { mountThrottleControl } from './throttle-control';
import { startCatchUp } from './catch-up';
import { AvSyncMeter } from './av-sync-meter';
import { FaultPanel } from './fault-panel';
import { skipLostDashSegments } from './dash-lost-segment';
import { drawEventLane, EventLane } from './event-lane';

const MODE_LABEL: Record<Mode, string> = { ll: 'low latency', standard: 'standard' };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const video = $<HTMLVideoElement>('video');
const meter = new LatencyMeter(video);
const avSync = new AvSyncMeter(video);
const lane = new EventLane(video);
const faultPanel = new FaultPanel($('faults-panel'), { onChange: () => state.current && play(state.current.name, state.current.format, state.current.mode, state.current.src) });
// ABR (issue 17): the throttle lives for the page (it survives switching streams), the monitor per player.
const cap = new BandwidthCap();
const abr = new AbrMonitor();
const rungMeter = new RungMeter(video, (rung, at) => abr.onScreen(rung, at));
const renditionMenu = new RenditionMenu(
  { label: $('rendition-label'), select: $<HTMLSelectElement>('rendition'), selected: $('s-rung-selected'), onScreen: $('s-rung-screen'), log: $<HTMLOListElement>('switch-log') },
  abr,
);
mountThrottleControl({ select: $<HTMLSelectElement>('throttle'), custom: $<HTMLInputElement>('throttle-kbps'), note: $('throttle-note') }, cap);
// dash.js measures throughput with the Resource Timing API (the real speed) unless told not to: only under a cap, so
// with the throttle off the player runs exactly as configured.
cap.onChange((kbps) => state.dash?.updateSettings(dashThroughputSettings(!!kbps) as unknown as dashjs.MediaPlayerSettingClass));
// The rung strip is read only on ladders (more than one rendition).
let readingRungs = false;
abr.onChange(() => {
  const ladder = abr.renditions.length > 1 && !!state.current;
  if (ladder && !readingRungs) rungMeter.start();
  else if (!ladder && readingRungs) rungMeter.stop();
  readingRungs = ladder;
});

const state = {
  streams: [] as StreamSummary[],
  /** `src`: a manifest URL opened with ?src= instead of one of the packager's streams (then `name` is the URL). */
  current: undefined as { name: string; format: Format; mode: Mode; src?: string } | undefined,
  /** Glass-to-glass samples per format + mode seen in this page, to compare modes side by side. */
  medians: new Map<string, number[]>(),
  hls: undefined as Hls | undefined,
  dash: undefined as dashjs.MediaPlayerClass | undefined,
  stopCatchUp: undefined as (() => void) | undefined,
  pickedAt: 0,
  firstFrameMs: undefined as number | undefined,
  stalls: 0,
  playing: false,
  errors: [] as string[],
  /** The last /api/streams request was answered. */
  reachable: true,
};

/** Stats for people (the panel) and for tests and benchmarks (window.livelabStats). */
function collectStats(): PageStats {
  const q = video.getVideoPlaybackQuality?.();
  const buffered = video.buffered.length ? video.buffered.end(video.buffered.length - 1) - video.currentTime : 0;
  let playerLatencyS: number | undefined;
  let targetLatencyS: number | undefined;
  let bitrateKbps: number | undefined;
  if (state.hls) {
    playerLatencyS = Number.isFinite(state.hls.latency) ? state.hls.latency : undefined;
    targetLatencyS = state.hls.targetLatency ?? undefined;
    const level = state.hls.levels[state.hls.currentLevel];
    bitrateKbps = level ? Math.round(level.bitrate / 1000) : undefined;
  } else if (state.dash) {
    const l = state.dash.getCurrentLiveLatency();
    playerLatencyS = Number.isFinite(l) && l > 0 ? l : undefined;
    const target = state.dash.getTargetLiveDelay?.();
    targetLatencyS = Number.isFinite(target) && target > 0 ? target : undefined;
    const rep = state.dash.getCurrentRepresentationForType('video') as { bandwidth?: number } | null;
    bitrateKbps = rep?.bandwidth ? Math.round(rep.bandwidth / 1000) : undefined;
  }
  return {
    stream: state.current?.name,
    format: state.current?.format,
    mode: state.current?.mode,
    playing: state.playing,
    currentTime: video.currentTime,
    g2gMs: meter.latest,
    g2gSamples: meter.samples.map((s) => s.ms),
    decodeFailures: meter.decodeFailures,
    playerLatencyS,
    targetLatencyS,
    bufferS: buffered,
    bitrateKbps,
    resolution: video.videoWidth ? `${video.videoWidth}x${video.videoHeight}` : undefined,
    droppedFrames: q?.droppedVideoFrames,
    totalFrames: q?.totalVideoFrames,
    stalls: state.stalls,
    avSamples: avSync.samples.map((s) => s.ms),
    avOffsetMs: avSync.median,
    avGraphLatencyMs: avSync.graphLatencyMs,
    avState: avSync.state,
    firstFrameMs: state.firstFrameMs,
    errors: state.errors,
    recovery: lane.events,
    faults: faultPanel.rulesText,
    abr: abr.stats(cap.kbps),
  };
}
(window as unknown as PageStatsWindow).livelabStats = collectStats;

function showError(message: string) {
  state.errors.push(message);
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
}

function overlay(text?: string) {
  const el = $('overlay');
  el.hidden = !text;
  el.textContent = text ?? '';
}

function teardown() {
  meter.stop();
  rungMeter.stop();
  abr.reset();
  state.stopCatchUp?.();
  state.stopCatchUp = undefined;
  state.hls?.destroy();
  state.hls = undefined;
  state.dash?.destroy();
  state.dash = undefined;
  video.removeAttribute('src');
  video.load();
  state.playing = false;
}

function play(name: string, format: Format, mode: Mode, src?: string) {
  const stream = state.streams.find((s) => s.name === name);
  teardown();
  state.current = { name, format, mode, src };
  state.pickedAt = performance.now();
  state.firstFrameMs = undefined;
  state.stalls = 0;
  state.errors = [];
  $('error').hidden = true;
  meter.reset();
  avSync.reset();
  lane.reset();
  // Fault rules apply to the packager's own streams (a ?src= stream is someone else's server).
  const url = src ?? faultPanel.wrap(manifestPath(name, format, mode));
  const delay = parseLiveDelay(new URLSearchParams(location.search).get(PAGE_PARAMS.delay));
  history.replaceState(null, '', src ? pageQuery({ src, format, mode, delay }) : pageQuery({ stream: name, format, mode, delay, faults: faultPanel.rulesText }));
  renderSelection();
  if (!stream && !src) overlay(`Waiting for “${name}” to go live…`);
  else overlay();
  if (!stream && !src) return;

  if (format === 'hls') {
    if (!Hls.isSupported()) return showError('This browser has no Media Source Extensions: HLS via hls.js cannot play here.');
    const hls = new Hls({ ...hlsWithLiveDelay(mode === 'll' ? HLS_LL_CONFIG : HLS_CONFIG, delay), loader: cappedHlsLoader(cap) });
    state.hls = hls;
    abr.attachHls(hls);
    let mediaRecoveries = 0;
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 3) {
        hls.recoverMediaError();
      } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        showError(`HLS network error (${data.details}); retrying…`);
        setTimeout(() => state.hls === hls && hls.startLoad(), 1000);
      } else {
        showError(`HLS error: ${data.details}`);
      }
    });
    if (mode === 'll' && delay === undefined) {
      state.stopCatchUp = startCatchUp(video, { latency: () => hls.latency, target: () => hls.targetLatency ?? Number.NaN });
    }
    hls.loadSource(url);
    hls.attachMedia(video);
  } else {
    const player = dashjs.MediaPlayer().create();
    state.dash = player;
    player.updateSettings(dashWithLiveDelay(mode === 'll' ? DASH_LL_SETTINGS : DASH_SETTINGS, delay) as unknown as dashjs.MediaPlayerSettingClass);
    if (cap.kbps) {
      player.updateSettings(dashThroughputSettings(true) as unknown as dashjs.MediaPlayerSettingClass);
      // Under the page's throttle, start at the rung the cap allows (not the LAN estimate in player-settings.ts).
      player.updateSettings({ streaming: { abr: { initialBitrate: { video: cap.kbps } } } } as unknown as dashjs.MediaPlayerSettingClass);
    }
    player.addResponseInterceptor(cappedDashInterceptor(cap) as unknown as Parameters<dashjs.MediaPlayerClass["addResponseInterceptor"]>[0]);
    abr.attachDash(player);
    player.on(dashjs.MediaPlayer.events.ERROR, (e: unknown) => {
      const err = (e as { error?: { message?: string; code?: number } }).error;
      showError(`DASH error: ${err?.message ?? err?.code ?? 'unknown'}`);
    });
    skipLostDashSegments(player as unknown as Parameters<typeof skipLostDashSegments>[0]); // dash.js stops at a lost segment
    // dash.js starts playback itself (autoplay): it must see the element's 'play' event, which it listens for only
    // once the stream is set up — its MPD refresh (ManifestUpdater) waits for that event. A play() called here
    // fired it too early: the MPD was never reloaded, harmless for a number-based MPD, fatal for a SegmentTimeline
    // (playback stopped at the end of the first MPD's timeline, issue 18).
    player.initialize(video, url, true);
  }
  meter.start();
  if (format === 'hls') void video.play().catch(() => undefined);
}

function renderSelection() {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#toolbar [data-format]'))
    b.setAttribute('aria-pressed', String(b.dataset['format'] === state.current?.format));
  for (const b of document.querySelectorAll<HTMLButtonElement>('#toolbar [data-mode]'))
    b.setAttribute('aria-pressed', String(b.dataset['mode'] === (state.current?.mode ?? preferredMode())));
  $('now-playing').textContent = state.current
    ? `${state.current.name} · ${state.current.format.toUpperCase()}${state.current.src ? '' : ` · ${MODE_LABEL[state.current.mode]}`}`
    : 'Pick a stream';
  for (const li of document.querySelectorAll<HTMLLIElement>('#streams li')) li.classList.toggle('current', li.dataset['name'] === state.current?.name);
}

function describe(s: StreamSummary) {
  const v = s.video;
  const parts = [
    v.width && v.height ? `${v.width}×${v.height}${v.fps ? `@${Math.round(v.fps)}` : ''}` : undefined,
    [v.codec, s.audio.codec].filter(Boolean).join('/').toUpperCase() || undefined,
    v.bitrateKbps ? `${(v.bitrateKbps / 1000).toFixed(1)} Mbit/s` : undefined,
  ].filter(Boolean);
  return parts.join(' · ');
}

function renderStreams() {
  const ul = $('streams');
  ul.replaceChildren(
    ...state.streams.map((s) => {
      const li = document.createElement('li');
      li.dataset['name'] = s.name;
      const since = new Date(s.since);
      li.innerHTML = `<div class="name"></div><div class="meta"></div><div class="meta since"></div><div class="actions"></div>`;
      (li.querySelector('.name') as HTMLElement).textContent = s.name;
      (li.querySelector('.meta') as HTMLElement).textContent = describe(s);
      (li.querySelector('.since') as HTMLElement).textContent =
        `live since ${since.toLocaleTimeString()} · ${s.viewers} viewer${s.viewers === 1 ? '' : 's'}`;
      for (const f of ['hls', 'dash'] as const) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = f.toUpperCase();
        b.dataset['play'] = `${s.name}|${f}`;
        b.addEventListener('click', () => play(s.name, f, state.current?.mode ?? preferredMode()));
        li.querySelector('.actions')?.append(b);
      }
      return li;
    }),
  );
  $('no-streams').hidden = state.streams.length > 0;
  renderSelection();
}

async function refreshStreams() {
  try {
    const res = await fetch(STREAMS_API_PATH, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as StreamList;
    const before = new Set(state.streams.map((s) => s.name));
    const sinceBefore = state.streams.find((s) => s.name === state.current?.name)?.since;
    state.streams = body.streams;
    state.reachable = true;
    $('conn').textContent = `${body.streams.length} live`;
    $('conn').className = 'pill ok';
    renderStreams();
    const cur = state.current;
    if (cur) {
      const live = state.streams.some((s) => s.name === cur.name);
      if (!live && before.has(cur.name)) {
        teardown();
        overlay(`“${cur.name}” has ended. It will resume here when it comes back.`);
      } else if (live && !before.has(cur.name) && !state.hls && !state.dash) {
        play(cur.name, cur.format, cur.mode);
      } else if (live && sinceBefore && state.streams.find((s) => s.name === cur.name)?.since !== sinceBefore) {
        // Published again while we were playing (the publisher reconnected, or the packager restarted and we never
        // saw the stream missing): a new timeline and new segment numbers, so start the player afresh on it.
        play(cur.name, cur.format, cur.mode);
      }
    }
  } catch (e) {
    state.reachable = false;
    $('conn').textContent = 'packager unreachable';
    $('conn').className = 'pill bad';
    void e;
  }
}

function fmtS(s: number | undefined, digits = 2) {
  return s === undefined || !Number.isFinite(s) ? '–' : `${s.toFixed(digits)} s`;
}

/** "+12 ms" / "-3 ms"; rounded first, so -0.3 reads "+0 ms", not a sign-less "0 ms". */
function signedMs(ms: number): string {
  const r = Math.round(ms) || 0;
  return `${r >= 0 ? '+' : ''}${r} ms`;
}

function renderStats() {
  const s = collectStats();
  $('s-g2g').textContent = s.g2gMs === undefined ? (state.playing ? 'no timecode' : '–') : fmtS(s.g2gMs / 1000);
  $('s-latency').textContent = fmtS(s.playerLatencyS) + (s.targetLatencyS ? ` (target ${fmtS(s.targetLatencyS, 1)})` : '');
  $('s-buffer').textContent = state.playing ? fmtS(s.bufferS) : '–';
  $('s-bitrate').textContent = s.bitrateKbps ? `${(s.bitrateKbps / 1000).toFixed(2)} Mbit/s` : '–';
  $('s-resolution').textContent = s.resolution ?? '–';
  $('s-dropped').textContent = s.totalFrames ? `${s.droppedFrames} / ${s.totalFrames}` : '–';
  $('s-stalls').textContent = state.current ? String(s.stalls) : '–';
  const av = { off: '–', muted: 'unmute to measure', unsupported: 'not supported here', measuring: s.avOffsetMs === undefined ? 'waiting for a beep' : signedMs(s.avOffsetMs) };
  $('s-av').textContent = av[s.avState];
  $('s-ttff').textContent = s.firstFrameMs === undefined ? '–' : fmtS(s.firstFrameMs / 1000);
  $('s-compare').textContent = compareModes(s.g2gSamples);
  drawLatencyPlot($<HTMLCanvasElement>('plot'), meter.samples);
  drawEventLane($<HTMLCanvasElement>('events'), lane.events);
  abr.sample(cap.kbps);
  renditionMenu.render();
  const kbps = (k: number | undefined) => (k === undefined ? '–' : k >= 1000 ? `${(k / 1000).toFixed(2)} Mbit/s` : `${k} kbit/s`);
  $('s-estimate').textContent = kbps(s.abr.estimateKbps);
  $('s-cap').textContent = s.abr.capKbps ? kbps(s.abr.capKbps) : 'off';
  drawAbrPlot($<HTMLCanvasElement>('abr-plot'), { samples: abr.samples, switches: abr.switches });
}

/** Median glass-to-glass per format and mode watched in this page, e.g. "HLS low latency 0.86 s · HLS standard 1.93 s". */
function compareModes(current: number[]): string {
  if (state.current && current.length) state.medians.set(`${state.current.format.toUpperCase()} ${MODE_LABEL[state.current.mode]}`, current.slice(-120));
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const rows = [...state.medians].filter(([, v]) => v.length).map(([k, v]) => `${k} ${fmtS(median(v) / 1000)}`);
  return rows.length ? rows.join(' · ') : 'switch modes to compare';
}

function preferredMode(): Mode {
  return new URLSearchParams(location.search).get('mode') === 'standard' ? 'standard' : 'll';
}

video.addEventListener('playing', () => {
  if (!state.playing && state.firstFrameMs === undefined) state.firstFrameMs = performance.now() - state.pickedAt;
  state.playing = true;
  overlay();
});
video.addEventListener('waiting', () => {
  if (state.playing) state.stalls++;
});
video.addEventListener('volumechange', () => ($('unmute').hidden = !video.muted || !state.current));
video.addEventListener('loadeddata', () => ($('unmute').hidden = !video.muted));
$('unmute').addEventListener('click', () => {
  video.muted = false;
  void video.play();
  void avSync.enable(); // a click may start the audio context
});
for (const b of document.querySelectorAll<HTMLButtonElement>('#toolbar [data-format]')) {
  b.addEventListener('click', () => {
    const f = b.dataset['format'] as Format;
    // A ?src= stream is one manifest in one format: the buttons switch only the packager's streams.
    if (state.current && !state.current.src) play(state.current.name, f, state.current.mode);
  });
}
for (const b of document.querySelectorAll<HTMLButtonElement>('#toolbar [data-mode]')) {
  b.addEventListener('click', () => {
    const m = b.dataset['mode'] as Mode;
    if (state.current) play(state.current.name, state.current.format, m, state.current.src);
    else {
      history.replaceState(null, '', `?mode=${m}`);
      renderSelection();
    }
  });
}
$('share').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(location.href);
    $('share').textContent = 'Copied';
  } catch {
    $('share').textContent = 'Link in address bar';
  }
  setTimeout(() => ($('share').textContent = 'Copy link'), 1500);
});

async function boot() {
  const params = new URLSearchParams(location.search);
  const wanted = params.get(PAGE_PARAMS.stream);
  const format: Format = params.get(PAGE_PARAMS.format) === 'dash' ? 'dash' : 'hls';
  const src = params.get(PAGE_PARAMS.src);
  const faults = params.get(PAGE_PARAMS.faults);
  if (faults) faultPanel.load(faults);
  await refreshStreams();
  // Where sound may autoplay (a browser setting or policy), play with sound and measure A/V sync from the start.
  if (await avSync.enable().catch(() => false)) video.muted = false;
  if (src !== null) {
    const source = parsePageSource(src, location.href, params.get(PAGE_PARAMS.format));
    if (source.ok) play(source.url, source.format, preferredMode(), source.url);
    else showError(`Cannot open src: ${source.reason}`);
  } else if (wanted) play(wanted, format, preferredMode());
  // Every 2 s; every 0.5 s while the packager is unreachable or the stream picked is not live, so playback resumes
  // soon after a packager restart or a republish.
  const refreshLoop = async () => {
    await refreshStreams();
    const waiting = !state.reachable || (!!state.current && !state.streams.some((s) => s.name === state.current?.name));
    setTimeout(() => void refreshLoop(), waiting ? 500 : 2000);
  };
  setTimeout(() => void refreshLoop(), 2000);
  setInterval(renderStats, 250);
  const sync = async () => {
    try {
      meter.clockOffsetMs = await measureClockOffset();
    } catch {
      /* keep the last offset */
    }
  };
  void sync();
  setInterval(() => void sync(), 30_000);
}
void boot();
