import type { EvalReport } from './report.js';
import { cellLabel, interval, ms, plain, pValue, rate, signed, usd } from './report-format.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows
    .map((row, r) => {
      const line = row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
      return r === 0 ? `${line}\n${widths.map((w) => '─'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/** The terminal report: one row per cell, then comparisons, baseline deltas, budget and gates. */
export function renderTable(report: EvalReport): string {
  const out: string[] = [];
  const ds = report.datasets.map((d) => `${plain(d.file)} (${d.cases} cases, sha256 ${d.sha256.slice(0, 12)})`).join(', ');
  out.push(`intentguard eval — ${report.mode} mode — ${report.n_cases} cases${report.config.repeat > 1 ? ` × ${report.config.repeat} repeats` : ''}`);
  out.push(`datasets: ${ds}`);
  out.push('');
  const rows: string[][] = [
    ['judge · prompt', 'n', 'acc', 'bal.acc', 'deny P', 'deny R', 'false deny [95% CI]', 'false allow [95% CI]', 'errors', 'p50', 'p95', 'cost'],
  ];
  for (const r of report.results) {
    rows.push([
      plain(cellLabel(r.judge, r.prompt), 60),
      String(r.n),
      rate(r.accuracy),
      rate(r.balanced_accuracy),
      rate(r.deny_precision),
      rate(r.deny_recall),
      `${rate(r.false_deny_rate)} [${interval(r.ci.false_deny_rate)}]`,
      `${rate(r.false_allow_rate)} [${interval(r.ci.false_allow_rate)}]`,
      String(r.errors),
      ms(r.latency_ms.p50),
      ms(r.latency_ms.p95),
      usd(r.cost_usd),
    ]);
  }
  out.push(table(rows));

  const narrowing = report.results.filter((r) => r.narrowing.n > 0);
  if (narrowing.length > 0) {
    out.push('', 'narrowing (narrow-labeled cases):');
    for (const r of narrowing) {
      const n = r.narrowing;
      out.push(
        `  ${plain(cellLabel(r.judge, r.prompt), 60)}: exact ${n.exact}/${n.n}, over ${n.over_narrowed}, under ${n.under_narrowed}, not narrowed ${n.not_narrowed}, denied ${n.denied}, other ${n.mismatch}`,
      );
    }
  }
  const stages = report.results.filter((r) => Object.keys(r.stages).length > 1);
  if (stages.length > 0) {
    out.push('', 'resolved by stage:');
    for (const r of stages) {
      const parts = Object.entries(r.stages).map(([s, v]) => `${plain(s, 40)} ${(v.share * 100).toFixed(1)}%`);
      out.push(`  ${plain(cellLabel(r.judge, r.prompt), 60)}: ${parts.join(', ')}`);
    }
  }
  if (report.comparisons.length > 0) {
    out.push('', 'paired comparisons (McNemar, same cases):');
    for (const c of report.comparisons) {
      out.push(
        `  ${plain(c.a, 50)} vs ${plain(c.b, 50)}: n=${c.n}, only A right ${c.a_only_correct}, only B right ${c.b_only_correct}, p=${pValue(c.p_value)} (${c.method})${c.better ? ` → ${plain(c.better, 50)} better` : ''}`,
      );
    }
  }
  if (report.baseline) {
    const b = report.baseline;
    out.push('', `against baseline ${plain(b.file)}${b.datasets_match ? '' : ' (WARNING: different dataset bytes)'}:`);
    for (const d of b.deltas.filter((x) => x.delta !== null && x.delta !== 0)) {
      out.push(`  ${plain(d.cell, 50)} ${d.metric}: ${rate(d.baseline)} → ${rate(d.current)} (${signed(d.delta)}, ${d.improved ? 'better' : 'worse'})`);
    }
    for (const u of b.unmatched) out.push(`  ${plain(u, 50)}: no baseline cell with this judge and prompt`);
  }
  const run = report.run;
  const notes: string[] = [];
  if (run.resumed) notes.push(`${run.resumed} resumed from the journal`);
  if (run.cached) notes.push(`${run.cached} from the cache`);
  if (run.interrupted) notes.push(`${run.interrupted} not run (interrupted)`);
  if (notes.length) out.push('', `calls: ${run.completed} made, ${notes.join(', ')}`);
  if (run.budget.reached) {
    out.push('', `COST CAP REACHED: spent ${usd(run.budget.spent_usd)} of ${usd(run.budget.max_cost_usd)}; ${run.skippedBudget} calls were not made, metrics cover the calls that were.`);
  }
  if (report.gates.length > 0) {
    out.push('', 'gates:');
    for (const g of report.gates) out.push(`  ${g.ok ? 'ok  ' : 'FAIL'} ${plain(g.message, 200)}`);
  }
  return `${out.join('\n')}\n`;
}
