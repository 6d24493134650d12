/**
 * When the client may compute (BOINC's run modes): always, never, or only inside a daily window
 * `HH:MM-HH:MM` in the process's local time (UTC in containers). A window whose start is after its end wraps
 * past midnight (22:00-06:00).
 */
export type RunModeName = 'always' | 'never' | 'window';
export interface RunMode {
  mode: RunModeName;
  /** minutes after midnight, [start, end) */
  window?: { start: number; end: number; text: string };
}

export function parseWindow(text: string): { start: number; end: number; text: string } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/.exec(text.trim());
  if (!m) throw new Error(`run window "${text}" must look like 08:00-18:00`);
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Math.min(24 * 60, Number(m[3]) * 60 + Number(m[4]));
  if (start === end) throw new Error(`run window "${text}" is empty`);
  return { start, end, text: text.trim() };
}

export function parseRunMode(mode: string, window?: string): RunMode {
  if (mode === 'always' || mode === 'never') return { mode };
  if (mode === 'window') {
    if (!window) throw new Error('run mode "window" needs a window like 08:00-18:00');
    return { mode, window: parseWindow(window) };
  }
  throw new Error(`run mode "${mode}" must be always, never or window`);
}

export function mayRun(mode: RunMode, at: Date = new Date()): boolean {
  if (mode.mode === 'always') return true;
  if (mode.mode === 'never' || !mode.window) return false;
  const minute = at.getHours() * 60 + at.getMinutes();
  const { start, end } = mode.window;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}
