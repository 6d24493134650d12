// What the page knows about adaptive bitrate: the stream's video renditions, what the user picked (Auto or a pinned
// rung), what the player chose, what is on screen (the rung strip, rung-meter.ts), the switch log and samples of the
// player's bandwidth estimate for the plot. One adapter per player maps its API and events onto this.
import Hls from 'hls.js';
import * as dashjs from 'dashjs';
import { rungOfMediaPlaylistUrl, type AbrStats, type RenditionInfo, type RungSwitch } from '@livelab/media-contract';
import { rungIndices, switchDirection } from './rung-indices';

/** What the monitor needs from a player. */
interface AbrPlayer {
  select(selection: 'auto' | number): void;
  estimateKbps(): number | undefined;
}

export interface AbrSample {
  /** Date.now() */
  t: number;
  estimateKbps?: number;
  selectedKbps?: number;
  capKbps?: number;
}

const MAX_SWITCHES = 200;
const SAMPLE_SPAN_MS = 120_000;

export class AbrMonitor {
  renditions: RenditionInfo[] = [];
  selection: 'auto' | number = 'auto';
  selectedRung?: number;
  rungOnScreen?: number | null;
  switches: RungSwitch[] = [];
  samples: AbrSample[] = [];
  private player?: AbrPlayer;
  private detachPlayer?: () => void;
  private readonly listeners = new Set<() => void>();

  /** Called when renditions, selection or the log change (the menu and the log re-render). */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  reset(): void {
    this.detachPlayer?.();
    this.detachPlayer = undefined;
    this.player = undefined;
    this.renditions = [];
    this.selection = 'auto';
    this.selectedRung = undefined;
    this.rungOnScreen = undefined;
    this.switches = [];
    this.samples = [];
    this.changed();
  }

  /** Pin a rung or go back to Auto. */
  select(selection: 'auto' | number): void {
    if (selection !== 'auto' && !this.renditions.some((r) => r.rung === selection)) return;
    this.selection = selection;
    this.player?.select(selection);
    this.changed();
  }

  bitrateOf(rung: number | undefined): number | undefined {
    return this.renditions.find((r) => r.rung === rung)?.bitrateKbps;
  }

  /** The player asked for rung `to`. */
  requested(to: number, reason?: string): void {
    const from = this.selectedRung;
    this.selectedRung = to;
    if (from === to) return;
    const direction = switchDirection(from, to, this.bitrateOf(from), this.bitrateOf(to));
    this.switches.push({ requestedAt: Date.now(), from, to, direction, reason, estimateKbps: this.player?.estimateKbps() });
    if (this.switches.length > MAX_SWITCHES) this.switches.shift();
    this.changed();
  }

  /** The player says rung `to` now plays. */
  rendered(to: number): void {
    const s = this.latestOpen(to, 'renderedAt');
    if (s) {
      s.renderedAt = Date.now();
      this.changed();
    }
  }

  /** A presented frame's rung strip read `rung` (null: no strip), at epoch ms `at`. */
  onScreen(rung: number | null, at: number): void {
    this.rungOnScreen = rung;
    if (rung === null) return;
    const s = this.latestOpen(rung, 'onScreenAt');
    if (s && at >= s.requestedAt) {
      s.onScreenAt = at;
      this.changed();
    }
  }

  /** The newest switch to `to` not yet marked `field`, if it is the newest switch at all (a later one supersedes). */
  private latestOpen(to: number, field: 'renderedAt' | 'onScreenAt'): RungSwitch | undefined {
    const last = this.switches.at(-1);
    return last && last.to === to && last[field] === undefined ? last : undefined;
  }

  /** Take a sample for the plot (the page calls this on its stats tick). */
  sample(capKbps: number | undefined): void {
    const t = Date.now();
    this.samples.push({ t, estimateKbps: this.player?.estimateKbps(), selectedKbps: this.bitrateOf(this.selectedRung), capKbps });
    while (this.samples.length && this.samples[0].t < t - SAMPLE_SPAN_MS) this.samples.shift();
  }

  stats(capKbps: number | undefined): AbrStats {
    return {
      renditions: this.renditions,
      selection: this.selection,
      selectedRung: this.selectedRung,
      rungOnScreen: this.rungOnScreen,
      estimateKbps: this.player?.estimateKbps(),
      capKbps,
      switches: this.switches,
    };
  }

  /** Follow an hls.js player: levels from the multivariant playlist, LEVEL_SWITCHING / LEVEL_SWITCHED. */
  attachHls(hls: Hls): void {
    this.reset();
    let rungOfLevel: number[] = [];
    const levelOfRung = (rung: number) => rungOfLevel.indexOf(rung);
    const reason = () => (this.selection === 'auto' ? 'abr' : 'pinned');
    const onParsed = (_e: unknown, data: { levels: Array<{ bitrate: number; width: number; height: number; url: string[] }> }) => {
      rungOfLevel = rungIndices(data.levels.map((l) => ({ named: rungOfMediaPlaylistUrl(l.url[0] ?? ''), bitrate: l.bitrate })));
      this.renditions = data.levels
        .map((l, i) => ({ rung: rungOfLevel[i], width: l.width || undefined, height: l.height || undefined, bitrateKbps: Math.round(l.bitrate / 1000) }))
        .sort((a, b) => a.rung - b.rung);
      if (this.selection !== 'auto') this.player?.select(this.selection);
      this.changed();
    };
    const onSwitching = (_e: unknown, data: { level: number }) => {
      const rung = rungOfLevel[data.level];
      if (rung !== undefined) this.requested(rung, reason());
    };
    const onSwitched = (_e: unknown, data: { level: number }) => {
      const rung = rungOfLevel[data.level];
      if (rung !== undefined) this.rendered(rung);
    };
    hls.on(Hls.Events.MANIFEST_PARSED, onParsed);
    hls.on(Hls.Events.LEVEL_SWITCHING, onSwitching);
    hls.on(Hls.Events.LEVEL_SWITCHED, onSwitched);
    this.player = {
      // currentLevel: switch now (flushes what is buffered of the old level); -1 hands the choice back to the ABR.
      select: (sel) => {
        if (sel === 'auto') hls.currentLevel = -1;
        else if (levelOfRung(sel) >= 0) hls.currentLevel = levelOfRung(sel);
      },
      estimateKbps: () => (Number.isFinite(hls.bandwidthEstimate) && hls.bandwidthEstimate > 0 ? Math.round(hls.bandwidthEstimate / 1000) : undefined),
    };
    this.detachPlayer = () => {
      hls.off(Hls.Events.MANIFEST_PARSED, onParsed);
      hls.off(Hls.Events.LEVEL_SWITCHING, onSwitching);
      hls.off(Hls.Events.LEVEL_SWITCHED, onSwitched);
    };
  }

  /** Follow a dash.js player: video Representations, QUALITY_CHANGE_REQUESTED (with the ABR rule) / RENDERED. */
  attachDash(player: dashjs.MediaPlayerClass): void {
    this.reset();
    let rungOfId = new Map<string, number>();
    const idOfRung = (rung: number) => [...rungOfId].find(([, r]) => r === rung)?.[0];
    const events = dashjs.MediaPlayer.events;
    const onInitialized = () => {
      const reps = player.getRepresentationsByType('video');
      const rungs = rungIndices(reps.map((r) => ({ named: /^\d{1,2}$/.test(r.id) ? Number(r.id) : undefined, bitrate: r.bandwidth })));
      rungOfId = new Map(reps.map((r, i) => [r.id, rungs[i]]));
      this.renditions = reps
        .map((r, i) => ({ rung: rungs[i], width: r.width || undefined, height: r.height || undefined, bitrateKbps: Math.round(r.bandwidth / 1000) }))
        .sort((a, b) => a.rung - b.rung);
      const current = player.getCurrentRepresentationForType('video');
      if (current && this.selectedRung === undefined && rungOfId.has(current.id)) this.requested(rungOfId.get(current.id) as number, 'initial');
      if (this.selection !== 'auto') this.player?.select(this.selection);
      this.changed();
    };
    const onRequested = (e: dashjs.QualityChangeRequestedEvent) => {
      if (e.mediaType !== 'video') return;
      const rung = rungOfId.get(e.newRepresentation?.id);
      if (rung === undefined) return;
      this.requested(rung, e.reason?.name ?? (this.selection === 'auto' ? 'abr' : 'pinned'));
    };
    const onRendered = (e: dashjs.QualityChangeRenderedEvent) => {
      if (e.mediaType !== 'video') return;
      const rung = rungOfId.get(e.newRepresentation?.id);
      if (rung !== undefined) this.rendered(rung);
    };
    player.on(events.STREAM_INITIALIZED, onInitialized);
    player.on(events.QUALITY_CHANGE_REQUESTED, onRequested);
    player.on(events.QUALITY_CHANGE_RENDERED, onRendered);
    this.player = {
      select: (sel) => {
        const auto = sel === 'auto';
        player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
        const id = auto ? undefined : idOfRung(sel);
        // forceReplace: drop what is buffered of the old rung, so the pinned one shows at once.
        if (id !== undefined) player.setRepresentationForTypeById('video', id, true);
      },
      estimateKbps: () => {
        const kbps = player.getAverageThroughput('video');
        return Number.isFinite(kbps) && kbps > 0 ? Math.round(kbps) : undefined;
      },
    };
    this.detachPlayer = () => {
      player.off(events.STREAM_INITIALIZED, onInitialized);
      player.off(events.QUALITY_CHANGE_REQUESTED, onRequested);
      player.off(events.QUALITY_CHANGE_RENDERED, onRendered);
    };
  }
}
