// A small latency-over-time plot on a canvas: last 60 s, auto-scaled, with a 1 s and 2 s guide.
export function drawLatencyPlot(canvas: HTMLCanvasElement, samples: Array<{ t: number; ms: number }>): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * dpr) || canvas.width;
  const h = Math.round(canvas.clientHeight * dpr) || canvas.height;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, w, h);
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
