// The throttle's controls: presets (off, 20, 5, 2, 1, 0.5, 0.25 Mbit/s) and a number field (kbit/s), and the note saying
// what the throttle is (throttle.ts).
import { THROTTLE_MECHANISM, THROTTLE_PRESETS_KBPS, type BandwidthCap } from './throttle';

const presetLabel = (kbps: number) => (kbps === 0 ? 'Off' : kbps >= 1000 ? `${kbps / 1000} Mbit/s` : `${kbps} kbit/s`);

export function mountThrottleControl(els: { select: HTMLSelectElement; custom: HTMLInputElement; note: HTMLElement }, cap: BandwidthCap): void {
  const { select, custom, note } = els;
  select.replaceChildren(...THROTTLE_PRESETS_KBPS.map((k) => new Option(presetLabel(k), String(k))), new Option('Other…', 'custom'));
  note.textContent = THROTTLE_MECHANISM;
  const show = (kbps: number | undefined) => {
    const preset = THROTTLE_PRESETS_KBPS.find((k) => k === (kbps ?? 0));
    select.value = preset !== undefined ? String(preset) : 'custom';
    custom.hidden = preset !== undefined;
    if (preset === undefined && kbps !== undefined) custom.value = String(kbps);
  };
  select.addEventListener('change', () => {
    if (select.value === 'custom') {
      custom.hidden = false;
      custom.focus();
      return;
    }
    cap.set(Number(select.value));
  });
  custom.addEventListener('change', () => {
    const kbps = Number(custom.value);
    // At least 16 kbit/s: below that a 1 s segment takes minutes and the player only errors.
    if (Number.isFinite(kbps) && kbps >= 16) cap.set(kbps);
    else custom.value = cap.kbps ? String(cap.kbps) : '';
  });
  cap.onChange(show);
  show(cap.kbps);
}
