import type { ProjectSummary } from './project';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (n: number) => n.toLocaleString('en-US');

/** A small server-rendered status page (no scripts). */
export function renderSummaryPage(s: ProjectSummary): string {
  const pct = ((100 * s.numbers_done) / (s.range.hi - s.range.lo)).toFixed(1);
  const checks = s.checks
    .map((c) => `<tr><td>π(${esc(num(c.x))})</td><td>${esc(num(c.known))}</td><td>${c.computed === null ? 'pending' : esc(num(c.computed))}</td><td>${c.ok === null ? '…' : c.ok ? '✔ match' : '✘ MISMATCH'}</td></tr>`)
    .join('');
  const accounts = s.accounts
    .map((a) => `<tr><td>${esc(a.id)}</td><td style="text-align:left">${esc(a.name)}${a.disabled ? ' (disabled)' : ''}</td><td>${esc(num(a.hosts))}</td><td>${esc(num(a.credit))}</td></tr>`)
    .join('');
  const ranges = s.ranges_done.map((r) => `<li>[${esc(num(r.lo))}, ${esc(num(r.hi))})</li>`).join('') || '<li>none yet</li>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>${esc(s.project)}</title><style>body{font:15px system-ui,sans-serif;margin:2em;max-width:50em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}</style></head>
<body><h1>${esc(s.project)}</h1>
<p>Counting primes in [${esc(num(s.range.lo))}, ${esc(num(s.range.hi))}): <b>${pct} %</b> done, ${esc(num(s.primes_counted))} primes counted,
${esc(s.workunits.done)} of ${esc(s.workunits.total)} workunits validated (${esc(s.workunits.error)} in error), ${esc(s.hosts)} hosts.</p>
<h2>Check against known values</h2><table><tr><th>x</th><th>known</th><th>computed</th><th></th></tr>${checks}</table>
<h2>Accounts</h2><p>A quorum vote is one ${s.quorum_counts === 'accounts' ? 'account' : 'host'}.</p>
<table><tr><th>id</th><th>name</th><th>hosts</th><th>credit</th></tr>${accounts}</table>
<h2>Ranges done</h2><ul>${ranges}</ul><p><a href="/v1/summary">JSON</a></p></body></html>`;
}
