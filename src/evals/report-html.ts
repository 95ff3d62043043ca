import type { CellResult, EvalReport, MetricDelta } from './report.js';
import { cellLabel, interval, ms, pValue, rate, signed, usd } from './report-format.js';

/**
 * The HTML report: one self-contained file (inline CSS, inline SVG drawn here,
 * no script, no external resource — it opens offline, and a Content Security
 * Policy forbids loading anything). Every string from a dataset, a file name
 * or a judge is escaped: case tags and reasons are untrusted text.
 */

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--bg:#fff;--allow:#2e7d4f;--deny:#b3261e;--narrow:#8a5a00;--accent:#2f5fb3}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:14px;margin:12px 0 4px}
.meta{color:var(--muted);margin:0}table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}
th{font-weight:600;background:#f5f7f9}.grid{display:flex;flex-wrap:wrap;gap:24px}figure{margin:0}figcaption{font-weight:600;margin-bottom:4px;max-width:520px;overflow-wrap:anywhere}
.ok{color:var(--allow)}.fail{color:var(--deny);font-weight:600}.warn{background:#fff4e5;border-left:4px solid var(--narrow);padding:6px 10px}
.scroll{overflow-x:auto;max-width:100%}.better{color:var(--allow)}.worse{color:var(--deny)}svg text{font:11px system-ui,sans-serif;fill:var(--fg)}svg .muted{fill:var(--muted)}
`;

function confusionSvg(r: CellResult): string {
  const size = 64;
  const left = 78;
  const top = 44;
  const labels = r.confusion.labels;
  const parts: string[] = [];
  parts.push(`<text x="${left + (size * 3) / 2}" y="12" text-anchor="middle" class="muted">prediction →</text>`);
  labels.forEach((l, i) => parts.push(`<text x="${left + i * size + size / 2}" y="${top - 8}" text-anchor="middle">${esc(l)}</text>`));
  parts.push(`<text x="12" y="${top + (size * 3) / 2}" transform="rotate(-90 12 ${top + (size * 3) / 2})" text-anchor="middle" class="muted">label →</text>`);
  r.confusion.matrix.forEach((rowValues, li) => {
    const label = labels[li] ?? '';
    const total = rowValues.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${left - 8}" y="${top + li * size + size / 2 + 4}" text-anchor="end">${esc(label)}</text>`);
    rowValues.forEach((count, pi) => {
      const pred = labels[pi] ?? '';
      const share = total > 0 ? count / total : 0;
      const hue = li === pi ? 140 : 4;
      const light = Math.round(97 - share * 52);
      const x = left + pi * size;
      const y = top + li * size;
      parts.push(
        `<g class="cm-cell" data-label="${esc(label)}" data-pred="${esc(pred)}" data-count="${count}">` +
          `<rect x="${x}" y="${y}" width="${size - 2}" height="${size - 2}" rx="3" fill="hsl(${hue} 55% ${light}%)" stroke="#c9ced4"/>` +
          `<text x="${x + size / 2 - 1}" y="${y + size / 2 + 4}" text-anchor="middle" style="font-size:14px;font-weight:600;fill:${light < 62 ? '#fff' : '#1b1f24'}">${count}</text>` +
          `<title>label ${esc(label)}, predicted ${esc(pred)}: ${count}</title></g>`,
      );
    });
  });
  const w = left + size * 3 + 8;
  const h = top + size * 3 + 8;
  return `<svg data-chart="confusion" data-cell="${esc(r.id)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="confusion matrix">${parts.join('')}</svg>`;
}

const TAG_ROWS = 30;
const TAG_METRICS: readonly { key: 'accuracy' | 'false_deny_rate' | 'false_allow_rate'; color: string; name: string }[] = [
  { key: 'accuracy', color: '#2f5fb3', name: 'accuracy' },
  { key: 'false_deny_rate', color: '#d08a00', name: 'false deny' },
  { key: 'false_allow_rate', color: '#b3261e', name: 'false allow' },
];

function tagBarsSvg(r: CellResult): string {
  const tags = Object.entries(r.by_tag)
    .sort((a, b) => b[1].n - a[1].n || a[0].localeCompare(b[0]))
    .slice(0, TAG_ROWS);
  if (tags.length === 0) return '<p class="meta">No tags.</p>';
  const labelW = 250;
  const barW = 300;
  const rowH = 22;
  const top = 24;
  const parts: string[] = [];
  TAG_METRICS.forEach((m, i) => {
    parts.push(`<rect x="${labelW + i * 110}" y="4" width="10" height="10" fill="${m.color}"/><text x="${labelW + i * 110 + 14}" y="13">${m.name}</text>`);
  });
  tags.forEach(([tag, t], row) => {
    const y = top + row * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + 14}" text-anchor="end"><title>${esc(tag)}</title>${esc(clip(tag, 38))} (${t.n})</text>`);
    TAG_METRICS.forEach((m, i) => {
      const v = t[m.key];
      const w = v === null ? 0 : Math.max(1, v * barW);
      parts.push(
        `<rect class="bar" data-tag="${esc(tag)}" data-metric="${m.key}" data-value="${v === null ? '' : v}" x="${labelW}" y="${y + 3 + i * 6}" width="${w.toFixed(1)}" height="5" fill="${m.color}"><title>${esc(tag)} ${m.name}: ${rate(v)}</title></rect>`,
      );
    });
    parts.push(`<text x="${labelW + barW + 8}" y="${y + 14}" class="muted">${rate(t.accuracy)} / ${rate(t.false_deny_rate)} / ${rate(t.false_allow_rate)}</text>`);
  });
  const w = labelW + barW + 150;
  const h = top + tags.length * rowH + 6;
  const more = Object.keys(r.by_tag).length - tags.length;
  return (
    `<svg data-chart="tags" data-cell="${esc(r.id)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="metrics by tag">${parts.join('')}</svg>` +
    (more > 0 ? `<p class="meta">${more} smaller tags are in report.json.</p>` : '')
  );
}

function latencySvg(r: CellResult): string {
  const { edges, counts } = r.latency_ms.histogram;
  if (counts.length === 0) return '<p class="meta">No latency data.</p>';
  const w = 520;
  const h = 180;
  const left = 40;
  const bottom = 30;
  const plotW = w - left - 10;
  const plotH = h - bottom - 10;
  const max = Math.max(1, ...counts);
  const bw = plotW / counts.length;
  const parts: string[] = [];
  counts.forEach((c, i) => {
    const bh = (c / max) * plotH;
    const lo = edges[i] ?? 0;
    const hi = edges[i + 1] ?? lo;
    parts.push(
      `<rect class="bar" data-count="${c}" x="${(left + i * bw + 1).toFixed(1)}" y="${(10 + plotH - bh).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${Math.max(c > 0 ? 1 : 0, bh).toFixed(1)}" fill="#2f5fb3"><title>${ms(lo)}–${ms(hi)}: ${c}</title></rect>`,
    );
  });
  parts.push(`<line x1="${left}" y1="${10 + plotH}" x2="${left + plotW}" y2="${10 + plotH}" stroke="#8a929c"/>`);
  parts.push(`<text x="${left - 4}" y="16" text-anchor="end" class="muted">${max}</text><text x="${left - 4}" y="${10 + plotH}" text-anchor="end" class="muted">0</text>`);
  const first = edges[0] ?? 0;
  const mid = edges[Math.floor(edges.length / 2)] ?? first;
  const last = edges[edges.length - 1] ?? first;
  parts.push(
    `<text x="${left}" y="${h - 12}" class="muted">${ms(first)}</text>` +
      `<text x="${left + plotW / 2}" y="${h - 12}" text-anchor="middle" class="muted">${ms(mid)} (log scale)</text>` +
      `<text x="${left + plotW}" y="${h - 12}" text-anchor="end" class="muted">${ms(last)}</text>`,
  );
  const l = r.latency_ms;
  return (
    `<svg data-chart="latency" data-cell="${esc(r.id)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="latency distribution">${parts.join('')}</svg>` +
    `<p class="meta">p50 ${ms(l.p50)} · p95 ${ms(l.p95)} · p99 ${ms(l.p99)} · max ${ms(l.max)}</p>`
  );
}

function diffSvg(deltas: readonly MetricDelta[]): string {
  const rows = deltas.filter((d) => d.delta !== null && !d.metric.startsWith('latency'));
  if (rows.length === 0) return '<p class="meta">No comparable metrics.</p>';
  const labelW = 330;
  const half = 160;
  const rowH = 20;
  const maxAbs = Math.max(0.01, ...rows.map((d) => Math.abs(d.delta ?? 0)));
  const parts: string[] = [];
  const axis = labelW + half;
  rows.forEach((d, i) => {
    const y = 8 + i * rowH;
    const v = d.delta ?? 0;
    const len = (Math.abs(v) / maxAbs) * half;
    const x = v >= 0 ? axis : axis - len;
    const color = d.improved === null ? '#8a929c' : d.improved ? '#2e7d4f' : '#b3261e';
    parts.push(`<text x="${labelW - 8}" y="${y + 13}" text-anchor="end">${esc(clip(`${d.cell} · ${d.metric}`, 52))}</text>`);
    parts.push(
      `<rect class="bar" data-cell="${esc(d.cell)}" data-metric="${esc(d.metric)}" data-delta="${v}" x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(1, len).toFixed(1)}" height="12" fill="${color}"><title>${esc(d.metric)}: ${rate(d.baseline)} → ${rate(d.current)}</title></rect>`,
    );
    parts.push(`<text x="${axis + half + 8}" y="${y + 13}" class="muted">${signed(d.delta)}</text>`);
  });
  const h = 16 + rows.length * rowH;
  parts.push(`<line x1="${axis}" y1="4" x2="${axis}" y2="${h - 4}" stroke="#8a929c"/>`);
  const w = labelW + half * 2 + 70;
  return `<svg data-chart="baseline-diff" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="change against the baseline">${parts.join('')}</svg>`;
}

function summaryTable(report: EvalReport): string {
  const head = ['judge · prompt', 'n', 'accuracy', 'balanced', 'deny P', 'deny R', 'deny F1', 'false deny (95% CI)', 'false allow (95% CI)', 'errors', 'p50', 'p95', 'tokens in/out', 'cost'];
  const rows = report.results.map((r) =>
    [
      esc(cellLabel(r.judge, r.prompt)),
      String(r.n),
      rate(r.accuracy),
      rate(r.balanced_accuracy),
      rate(r.deny_precision),
      rate(r.deny_recall),
      rate(r.deny_f1),
      `${rate(r.false_deny_rate)} (${interval(r.ci.false_deny_rate)})`,
      `${rate(r.false_allow_rate)} (${interval(r.ci.false_allow_rate)})`,
      String(r.errors),
      ms(r.latency_ms.p50),
      ms(r.latency_ms.p95),
      `${r.tokens.input}/${r.tokens.output}`,
      usd(r.cost_usd),
    ]
      .map((c) => `<td>${c}</td>`)
      .join(''),
  );
  return `<div class="scroll"><table data-table="summary"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table></div>`;
}

function extrasTable(report: EvalReport): string {
  const rows = report.results.map((r) => {
    const n = r.narrowing;
    const stages = Object.entries(r.stages)
      .map(([s, v]) => `${esc(clip(s, 40))} ${(v.share * 100).toFixed(1)}%`)
      .join(', ');
    return `<tr><td>${esc(cellLabel(r.judge, r.prompt))}</td><td>${n.n ? `${n.exact}/${n.n} exact, ${n.over_narrowed} over, ${n.under_narrowed} under, ${n.not_narrowed} not narrowed, ${n.denied} denied` : '–'}</td><td style="text-align:left">${stages}</td><td>${r.agreement ? rate(r.agreement.rate) : '–'}</td></tr>`;
  });
  return `<table><thead><tr><th>judge · prompt</th><th>narrowing</th><th style="text-align:left">resolved by stage</th><th>repeat agreement</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderHtml(report: EvalReport): string {
  const parts: string[] = [];
  const failed = report.gates.filter((g) => !g.ok);
  parts.push(`<header><h1>intentguard eval</h1><p class="meta">${esc(report.created_at)} · intentguard ${esc(report.intentguard_version)} · ${report.mode} mode · ${report.n_cases} cases${
    report.config.repeat > 1 ? ` × ${report.config.repeat} repeats` : ''
  }</p><p class="meta">Datasets: ${report.datasets.map((d) => `${esc(d.file)} (${d.cases} cases, sha256 <code>${esc(d.sha256.slice(0, 16))}</code>)`).join(', ')}</p>`);
  if (report.gates.length > 0) {
    parts.push(failed.length ? `<p class="fail">${failed.length} gate(s) failed</p>` : '<p class="ok">All gates passed</p>');
  }
  if (report.run.budget.reached) {
    parts.push(`<p class="warn">Cost cap reached: spent ${usd(report.run.budget.spent_usd)} of ${usd(report.run.budget.max_cost_usd)}; ${report.run.skippedBudget} calls were not made.</p>`);
  }
  parts.push('</header>');

  parts.push(`<section id="results"><h2>Results</h2>${summaryTable(report)}${extrasTable(report)}</section>`);
  parts.push(
    `<section id="confusion"><h2>Confusion matrices</h2><p class="meta">Rows: label. Columns: decision. Shading: share of the row.</p><div class="grid">${report.results
      .map((r) => `<figure><figcaption>${esc(cellLabel(r.judge, r.prompt))}</figcaption>${confusionSvg(r)}</figure>`)
      .join('')}</div></section>`,
  );
  parts.push(
    `<section id="tags"><h2>By tag</h2><div class="grid">${report.results
      .map((r) => `<figure><figcaption>${esc(cellLabel(r.judge, r.prompt))}</figcaption>${tagBarsSvg(r)}</figure>`)
      .join('')}</div></section>`,
  );
  parts.push(
    `<section id="latency"><h2>Latency</h2><div class="grid">${report.results
      .map((r) => `<figure><figcaption>${esc(cellLabel(r.judge, r.prompt))}</figcaption>${latencySvg(r)}</figure>`)
      .join('')}</div></section>`,
  );
  if (report.comparisons.length > 0) {
    parts.push(
      `<section id="comparisons"><h2>Paired comparisons</h2><p class="meta">McNemar's test on the cases both cells decided (exact binomial below 25 discordant cases).</p><table><thead><tr><th>A</th><th>B</th><th>n</th><th>only A right</th><th>only B right</th><th>p</th><th>better</th></tr></thead><tbody>${report.comparisons
        .map(
          (c) =>
            `<tr><td>${esc(c.a)}</td><td>${esc(c.b)}</td><td>${c.n}</td><td>${c.a_only_correct}</td><td>${c.b_only_correct}</td><td>${pValue(c.p_value)} (${c.method})</td><td>${c.better ? esc(c.better) : '—'}</td></tr>`,
        )
        .join('')}</tbody></table></section>`,
    );
  }
  if (report.baseline) {
    const b = report.baseline;
    const changed = b.deltas.filter((d) => d.delta !== null && d.delta !== 0);
    parts.push(
      `<section id="baseline"><h2>Before / after</h2><p class="meta">Against ${esc(b.file)}.</p>${
        b.datasets_match ? '' : '<p class="warn">The baseline scored different dataset bytes: this is not a like-for-like comparison.</p>'
      }${diffSvg(b.deltas)}<table><thead><tr><th>judge · prompt</th><th>metric</th><th>before</th><th>after</th><th>change</th></tr></thead><tbody>${changed
        .map(
          (d) =>
            `<tr><td>${esc(cellLabel(d.judge, d.prompt))}</td><td>${esc(d.metric)}</td><td>${rate(d.baseline)}</td><td>${rate(d.current)}</td><td class="${d.improved ? 'better' : 'worse'}">${signed(d.delta)}</td></tr>`,
        )
        .join('')}</tbody></table>${b.unmatched.map((u) => `<p class="meta">${esc(u)}: no baseline cell with this judge and prompt.</p>`).join('')}</section>`,
    );
  } else {
    parts.push('<section id="baseline"><h2>Before / after</h2><p class="meta">No baseline given (use --baseline report.json).</p></section>');
  }
  if (report.gates.length > 0) {
    parts.push(
      `<section id="gates"><h2>Gates</h2><ul>${report.gates.map((g) => `<li class="${g.ok ? 'ok' : 'fail'}">${g.ok ? 'ok' : 'FAIL'} — ${esc(g.message)}</li>`).join('')}</ul></section>`,
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>intentguard eval</title><style>${CSS}</style></head>
<body>${parts.join('\n')}</body></html>
`;
}
