// The fault panel (issue 18): pick a preset (a fault, or a stream shape) or write fault rules; the player is pointed at
// /faults/<rules>/live/<stream>/… and the panel shows that manifest URL, to copy into any other player. Rules are
// checked in the page with the packager's own parser (@livelab/media-contract faults.ts): a bad rule is named here
// before any request, and the packager answers the same text with a 400 naming the same part.
import { FAULT_PRESETS, faultedPath, parseFaultRules, SHAPE_PRESETS, type FaultRule, type StreamShape } from '@livelab/media-contract';

export interface FaultPanelOptions {
  /** Rules changed (applied or cleared): replay with them. */
  onChange: () => void;
}

export class FaultPanel {
  private rules: FaultRule[] = [];
  private shape?: StreamShape;
  private readonly text: HTMLTextAreaElement;
  private readonly preset: HTMLSelectElement;
  private readonly url: HTMLInputElement;
  private readonly message: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly opts: FaultPanelOptions,
  ) {
    root.innerHTML = `
      <h2>Faults</h2>
      <select id="fault-preset" aria-label="Fault preset"><option value="">No faults</option></select>
      <textarea id="fault-rules" rows="3" spellcheck="false" placeholder="on=segment,every=10,status=404;shape,window=3"></textarea>
      <div class="fault-actions"><button type="button" id="fault-apply">Apply</button><button type="button" id="fault-clear">Clear</button></div>
      <p id="fault-message" class="hint"></p>
      <label class="hint" for="fault-url">Manifest URL with these faults</label>
      <div class="fault-actions"><input id="fault-url" readonly /><button type="button" id="fault-copy">Copy</button></div>
      <p class="hint">Grammar and presets: docs/faults.md. The packager needs FAULTS_ENABLED=true.</p>`;
    const q = <T extends HTMLElement>(sel: string) => root.querySelector(sel) as T;
    this.text = q('#fault-rules');
    this.preset = q('#fault-preset');
    this.url = q('#fault-url');
    this.message = q('#fault-message');
    // Faults and stream shapes (longer segments / parts, a SegmentTimeline) in two groups of one menu.
    for (const [label, presets] of [['Faults', FAULT_PRESETS], ['Stream shapes', SHAPE_PRESETS]] as const) {
      const group = document.createElement('optgroup');
      group.label = label;
      for (const p of presets) group.append(new Option(p.label, p.rules));
      this.preset.append(group);
    }
    this.preset.addEventListener('change', () => {
      this.text.value = this.preset.value;
      this.apply();
    });
    q('#fault-apply').addEventListener('click', () => this.apply());
    q('#fault-clear').addEventListener('click', () => {
      this.text.value = '';
      this.preset.value = '';
      this.apply();
    });
    q('#fault-copy').addEventListener('click', () => void navigator.clipboard?.writeText(this.url.value).catch(() => undefined));
  }

  /** Sets the rules text (from the page's ?faults=) and applies it without replaying. */
  load(text: string): void {
    this.text.value = text;
    this.apply(false);
  }

  /** The rules text in effect ('' for none), canonical. */
  get rulesText(): string {
    return this.rules.length || this.shape ? this.text.value.trim() : '';
  }

  /** A /live/… path with the rules in effect applied. */
  wrap(livePath: string): string {
    const path = this.rules.length || this.shape ? faultedPath(this.rules, livePath, this.shape) : livePath;
    this.url.value = new URL(path, location.href).href;
    return path;
  }

  private apply(replay = true): void {
    const text = this.text.value.trim();
    const parsed = text ? parseFaultRules(text) : { ok: true as const, rules: [] };
    if (!parsed.ok) {
      this.message.textContent = parsed.error;
      this.message.className = 'error';
      return;
    }
    this.rules = parsed.rules;
    this.shape = 'shape' in parsed ? parsed.shape : undefined;
    const n = parsed.rules.length;
    this.message.textContent = (n ? `${n} rule${n > 1 ? 's' : ''} in effect` : 'no faults') + (this.shape ? ', shaped' : '');
    this.message.className = 'hint';
    if (replay) this.opts.onChange();
  }
}
