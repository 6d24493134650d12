// The ABR panel's rendition menu (Auto or one pinned rung, labelled from the manifest; hidden for a single
// rendition), the current rung (player's choice and what the rung strip says is on screen) and the switch log.
import type { RenditionInfo, RungSwitch } from '@livelab/media-contract';
import type { AbrMonitor } from './abr-monitor';

export function renditionLabel(r: RenditionInfo): string {
  const size = r.width && r.height ? `${r.width}×${r.height}` : undefined;
  const rate = r.bitrateKbps >= 1000 ? `${(r.bitrateKbps / 1000).toFixed(2)} Mbit/s` : `${r.bitrateKbps} kbit/s`;
  return [`rung ${r.rung}`, size, rate].filter(Boolean).join(' · ');
}

const clock = (epochMs: number) => {
  const d = new Date(epochMs);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};
const after = (from: number, to: number | undefined) => (to === undefined ? '–' : `+${((to - from) / 1000).toFixed(2)} s`);
const ARROW: Record<RungSwitch['direction'], string> = { up: '↑', down: '↓', first: '•' };

/** One log line: "16:02:03.123 ↓ 0 → 2 · ThroughputRule · est 412 kbit/s · played +0.81 s · on screen +0.93 s". */
export function switchLine(s: RungSwitch): string {
  return [
    `${clock(s.requestedAt)} ${ARROW[s.direction]} ${s.from ?? '–'} → ${s.to}`,
    s.reason,
    s.estimateKbps !== undefined ? `est ${s.estimateKbps} kbit/s` : undefined,
    `player says playing ${after(s.requestedAt, s.renderedAt)}`,
    `on screen ${after(s.requestedAt, s.onScreenAt)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

export class RenditionMenu {
  private shownKey = '';
  private shownLog = '';

  constructor(
    private readonly els: { label: HTMLElement; select: HTMLSelectElement; selected: HTMLElement; onScreen: HTMLElement; log: HTMLOListElement },
    private readonly abr: AbrMonitor,
  ) {
    els.select.addEventListener('change', () => {
      const v = els.select.value;
      abr.select(v === 'auto' ? 'auto' : Number(v));
    });
    abr.onChange(() => this.render());
  }

  render(): void {
    const { label, select, selected, onScreen, log } = this.els;
    const key = JSON.stringify(this.abr.renditions);
    if (key !== this.shownKey) {
      this.shownKey = key;
      const auto = new Option('Auto (player ABR)', 'auto');
      select.replaceChildren(auto, ...this.abr.renditions.map((r) => new Option(renditionLabel(r), String(r.rung))));
    }
    // Only when it changed: the page re-renders 4 times a second and must not fight a user's open menu.
    if (select.value !== String(this.abr.selection)) select.value = String(this.abr.selection);
    label.hidden = this.abr.renditions.length < 2;
    const sel = this.abr.renditions.find((r) => r.rung === this.abr.selectedRung);
    selected.textContent = sel ? renditionLabel(sel) : '–';
    const shown = this.abr.rungOnScreen;
    onScreen.textContent = shown === undefined ? '–' : shown === null ? 'no rung strip' : `rung ${shown}`;
    // The log only when it changed (the page re-renders 4 times a second).
    const last = this.abr.switches.at(-1);
    const logKey = `${this.abr.switches.length}:${last?.requestedAt}:${last?.renderedAt}:${last?.onScreenAt}`;
    if (logKey === this.shownLog) return;
    this.shownLog = logKey;
    log.replaceChildren(
      ...this.abr.switches
        .slice(-30)
        .reverse()
        .map((s) => {
          const li = document.createElement('li');
          li.className = s.direction;
          li.textContent = switchLine(s);
          return li;
        }),
    );
  }
}
