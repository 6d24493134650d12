// A small latency-over-time plot on a canvas: last 60 s, auto-scaled, with a 1 s and 2 s guide.

/**
 * The canvas sized to its CSS box at the device's pixel ratio and cleared, with its 2D context: what every plot and
 * lane on the page draws on. undefined without a 2D context.
 */
export function clearedCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number; dpr: number } | undefined {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * dpr) || canvas.width;
  const h = Math.round(canvas.clientHeight * dpr) || canvas.height;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h, dpr };
}
export function drawLatencyPlot(canvas: HTMLCanvasElement, samples: Array<{ t: number; ms: number }>): void {
  const surface = clearedCanvas(canvas);
  if (!surface) return;
  const { ctx, w, h, dpr } = surface;
  const now = Date.now();
  const span = 60_000;
  const recent = samples.filter((s) => s.t > now - span);
  const maxMs = Math.max(2500, ...recent.map((s) => s.ms)) * 1.1;
  const y = (ms: number) => h - (Math.max(0, ms) / maxMs) * h;
  const x = (t: number) => ((t - (now - span)) / span) * w;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  for (const guide of [1000, 2000, 5000, 10000].filter((g) => g < maxMs)) {
    ctx.strokeStyle = '#2b333d';
    ctx.beginPath();
    ctx.moveTo(0, y(guide));
    ctx.lineTo(w, y(guide));
    ctx.stroke();
    ctx.fillStyle = '#93a0ad';
    ctx.fillText(`${guide / 1000} s`, 4 * dpr, y(guide) - 3 * dpr);
  }
  ctx.strokeStyle = '#4fb3ff';
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  recent.forEach((s, i) => (i ? ctx.lineTo(x(s.t), y(s.ms)) : ctx.moveTo(x(s.t), y(s.ms))));
  ctx.stroke();
}

/** What the ABR plot draws: samples of the estimate, the selected rung's bitrate and the cap; switches as marks. */
export interface AbrPlotData {
  samples: Array<{ t: number; estimateKbps?: number; selectedKbps?: number; capKbps?: number }>;
  switches: Array<{ requestedAt: number; direction: 'up' | 'down' | 'first'; onScreenAt?: number }>;
}

export const ABR_PLOT_COLOURS = { estimate: '#4fb3ff', selected: '#3ecf8e', cap: '#ff6b6b', up: '#3ecf8e', down: '#ffb84f' } as const;

// The ABR plot, last 60 s: the player's bandwidth estimate, the bitrate of the rung it selected (a step line), the
// throttle cap (dashed), and each switch as a vertical mark at its request (solid) and when it reached the screen
// (dotted). Auto-scaled in kbit/s.
export function drawAbrPlot(canvas: HTMLCanvasElement, data: AbrPlotData): void {
  const surface = clearedCanvas(canvas);
  if (!surface) return;
  const { ctx, w, h, dpr } = surface;
  const now = Date.now();
  const span = 60_000;
  const recent = data.samples.filter((s) => s.t > now - span);
  const values = recent.flatMap((s) => [s.estimateKbps, s.selectedKbps, s.capKbps]).filter((v): v is number => v !== undefined);
  const maxKbps = Math.max(1000, ...values) * 1.1;
  const y = (kbps: number) => h - (Math.max(0, kbps) / maxKbps) * h;
  const x = (t: number) => ((t - (now - span)) / span) * w;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  for (const guide of [250, 500, 1000, 2000, 5000, 10000, 20000].filter((g) => g < maxKbps && g > maxKbps / 12)) {
    ctx.strokeStyle = '#2b333d';
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(0, y(guide));
    ctx.lineTo(w, y(guide));
    ctx.stroke();
    ctx.fillStyle = '#93a0ad';
    ctx.fillText(guide >= 1000 ? `${guide / 1000} Mbit/s` : `${guide} kbit/s`, 4 * dpr, y(guide) - 3 * dpr);
  }
  for (const s of data.switches) {
    if (s.direction === 'first') continue;
    ctx.strokeStyle = s.direction === 'up' ? ABR_PLOT_COLOURS.up : ABR_PLOT_COLOURS.down;
    ctx.lineWidth = 1 * dpr;
    for (const [t, dash] of [[s.requestedAt, []], [s.onScreenAt, [2 * dpr, 3 * dpr]]] as const) {
      if (t === undefined || t < now - span) continue;
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.moveTo(x(t), 0);
      ctx.lineTo(x(t), h);
      ctx.stroke();
    }
  }
  const line = (key: 'estimateKbps' | 'selectedKbps' | 'capKbps', colour: string, opts: { step?: boolean; dash?: number[] } = {}) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2 * dpr;
    ctx.setLineDash(opts.dash ?? []);
    ctx.beginPath();
    let prev: number | undefined;
    for (const s of recent) {
      const v = s[key];
      if (v === undefined) {
        prev = undefined;
        continue;
      }
      if (prev === undefined) ctx.moveTo(x(s.t), y(v));
      else {
        if (opts.step) ctx.lineTo(x(s.t), y(prev));
        ctx.lineTo(x(s.t), y(v));
      }
      prev = v;
    }
    ctx.stroke();
  };
  line('capKbps', ABR_PLOT_COLOURS.cap, { dash: [6 * dpr, 4 * dpr] });
  line('selectedKbps', ABR_PLOT_COLOURS.selected, { step: true });
  line('estimateKbps', ABR_PLOT_COLOURS.estimate);
  ctx.setLineDash([]);
}
