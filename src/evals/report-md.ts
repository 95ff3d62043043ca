import type { EvalReport } from './report.js';
import { cellLabel, interval, ms, pValue, rate, signed, usd } from './report-format.js';

/** Text safe inside a markdown table cell: no pipes, newlines, backticks or HTML. */
function md(text: string, max = 120): string {
  const clean = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

const MAX_TAG_ROWS = 40;

/** A pull-request comment: the results table, paired comparisons, the diff against the baseline and the gates. */
export function renderMarkdown(report: EvalReport): string {
  const out: string[] = [];
  const failed = report.gates.filter((g) => !g.ok);
  const status = report.gates.length === 0 ? '' : failed.length === 0 ? ' — gates passed' : ` — ${failed.length} gate(s) FAILED`;
  out.push(`## intentguard eval${status}`, '');
  out.push(
    `${report.n_cases} cases, ${report.mode} mode${report.config.repeat > 1 ? `, ${report.config.repeat} repeats` : ''}. Datasets: ${report.datasets
      .map((d) => `${md(d.file)} (${d.cases}, sha256 ${d.sha256.slice(0, 12)})`)
      .join(', ')}.`,
    '',
  );
  out.push(
    row(['judge · prompt', 'n', 'accuracy', 'balanced', 'deny P', 'deny R', 'false deny (95% CI)', 'false allow (95% CI)', 'errors', 'p50', 'p95', 'cost']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  );
  for (const r of report.results) {
    out.push(
      row([
        md(cellLabel(r.judge, r.prompt)),
        String(r.n),
        rate(r.accuracy),
        rate(r.balanced_accuracy),
        rate(r.deny_precision),
        rate(r.deny_recall),
        `${rate(r.false_deny_rate)} (${interval(r.ci.false_deny_rate)})`,
        `${rate(r.false_allow_rate)} (${interval(r.ci.false_allow_rate)})`,
        String(r.errors),
        ms(r.latency_ms.p50),
        ms(r.latency_ms.p95),
        usd(r.cost_usd),
      ]),
    );
  }

  if (report.baseline) {
    const b = report.baseline;
    const changed = b.deltas.filter((d) => d.delta !== null && d.delta !== 0);
    out.push('', `### Against the baseline`, '');
    if (!b.datasets_match) out.push('> **Warning:** the baseline scored different dataset bytes; the comparison is not like for like.', '');
    if (changed.length === 0) out.push('No metric changed.');
    else {
      out.push(row(['judge · prompt', 'metric', 'baseline', 'now', 'change', '']), row(['---', '---', '---:', '---:', '---:', '---']));
      for (const d of changed) {
        out.push(row([md(cellLabel(d.judge, d.prompt)), d.metric, rate(d.baseline), rate(d.current), signed(d.delta), d.improved ? '🟢 better' : '🔴 worse']));
      }
    }
    for (const u of b.unmatched) out.push('', `_${md(u)}: no baseline cell with this judge and prompt._`);
  }

  if (report.comparisons.length > 0) {
    out.push('', '### Paired comparisons (McNemar on the same cases)', '');
    out.push(row(['A', 'B', 'n', 'only A right', 'only B right', 'p', 'better']), row(['---', '---', '---:', '---:', '---:', '---:', '---']));
    for (const c of report.comparisons) {
      out.push(row([md(c.a), md(c.b), String(c.n), String(c.a_only_correct), String(c.b_only_correct), `${pValue(c.p_value)} (${c.method})`, c.better ? md(c.better) : '—']));
    }
  }

  if (report.gates.length > 0) {
    out.push('', '### Gates', '');
    for (const g of report.gates) out.push(`- ${g.ok ? '✅' : '❌'} ${md(g.message, 300)}`);
  }
  if (report.run.budget.reached) {
    out.push('', `> **Cost cap reached:** spent ${usd(report.run.budget.spent_usd)} of ${usd(report.run.budget.max_cost_usd)}; ${report.run.skippedBudget} calls were not made.`);
  }

  for (const r of report.results) {
    const tags = Object.entries(r.by_tag)
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, MAX_TAG_ROWS);
    if (tags.length === 0) continue;
    out.push('', `<details><summary>By tag: ${md(cellLabel(r.judge, r.prompt))}</summary>`, '');
    out.push(row(['tag', 'n', 'accuracy', 'false deny', 'false allow']), row(['---', '---:', '---:', '---:', '---:']));
    for (const [tag, t] of tags) out.push(row([md(tag, 60), String(t.n), rate(t.accuracy), rate(t.false_deny_rate), rate(t.false_allow_rate)]));
    if (Object.keys(r.by_tag).length > MAX_TAG_ROWS) out.push('', `_${Object.keys(r.by_tag).length - MAX_TAG_ROWS} smaller tags in report.json._`);
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}
