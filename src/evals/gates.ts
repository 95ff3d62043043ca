import { IntentguardError } from '../errors.js';
import { baselineCellFor, DIFF_METRICS, type BaselineReport, type CellResult, type EvalReport, type GateResult, type TagResult } from './report.js';

type Op = '<=' | '>=' | '<' | '>';

/** A threshold gate (`--min`/`--max`), optionally scoped to a tag: `false_allow_rate[exfiltration]<=0.05`. */
export interface ThresholdGate {
  readonly text: string;
  readonly metric: string;
  readonly tag: string | null;
  readonly op: Op;
  readonly value: number;
}

/** A regression gate (`--max-drop`): how far a metric may move the wrong way against the baseline. */
export interface DropGate {
  readonly text: string;
  /** null: every quality metric. */
  readonly metric: string | null;
  readonly value: number;
}

type MetricGetter = (r: TagResult | CellResult) => number | null;

const cellOnly = (f: (r: CellResult) => number | null): MetricGetter => (r) => ('latency_ms' in r ? f(r) : null);

/** Metrics a gate can name. Rates work on tags too; latency, cost and error rate only on whole cells. */
export const GATE_METRICS: Readonly<Record<string, MetricGetter>> = {
  accuracy: (r) => r.accuracy,
  balanced_accuracy: (r) => r.balanced_accuracy,
  deny_precision: (r) => r.deny_precision,
  deny_recall: (r) => r.deny_recall,
  deny_f1: (r) => r.deny_f1,
  false_deny_rate: (r) => r.false_deny_rate,
  false_allow_rate: (r) => r.false_allow_rate,
  error_rate: (r) => (r.n === 0 ? null : r.errors / r.n),
  errors: (r) => r.errors,
  n: (r) => r.n,
  latency_p50: cellOnly((r) => r.latency_ms.p50),
  latency_p95: cellOnly((r) => r.latency_ms.p95),
  latency_p99: cellOnly((r) => r.latency_ms.p99),
  cost_usd: cellOnly((r) => r.cost_usd),
  narrow_exact_rate: cellOnly((r) => r.narrowing.exact_rate),
};

const ALIASES: Readonly<Record<string, string>> = {
  'latency_ms.p50': 'latency_p50',
  'latency_ms.p95': 'latency_p95',
  'latency_ms.p99': 'latency_p99',
  'narrowing.exact_rate': 'narrow_exact_rate',
};

function metricName(raw: string, gate: string): string {
  const name = ALIASES[raw] ?? raw;
  if (!(name in GATE_METRICS)) {
    throw new IntentguardError('IG_USAGE', `gate '${gate}': unknown metric '${raw}' (known: ${Object.keys(GATE_METRICS).join(', ')})`);
  }
  return name;
}

const GATE_RE = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\[([^\]]+)\])?\s*(<=|>=|=<|=>|<|>|==|=)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?)\s*$/;

/**
 * Parses `--min`/`--max` values. `metric=value` means ≥ value for `--min` and
 * ≤ value for `--max`; an explicit comparison (`false_allow_rate<=0.02`) is
 * taken as written, whichever flag carries it.
 */
export function parseThresholdGate(text: string, flag: 'min' | 'max'): ThresholdGate {
  const m = GATE_RE.exec(text);
  if (!m) throw new IntentguardError('IG_USAGE', `--${flag} '${text}': expected metric=value or metric<=value (optionally metric[tag]…)`);
  const [, rawMetric, tag, rawOp, rawValue] = m;
  const value = Number(rawValue);
  if (!Number.isFinite(value)) throw new IntentguardError('IG_USAGE', `--${flag} '${text}': not a number`);
  let op: Op;
  switch (rawOp) {
    case '<=':
    case '=<':
      op = '<=';
      break;
    case '>=':
    case '=>':
      op = '>=';
      break;
    case '<':
      op = '<';
      break;
    case '>':
      op = '>';
      break;
    default:
      op = flag === 'min' ? '>=' : '<=';
  }
  return { text: `--${flag} ${text}`, metric: metricName(rawMetric ?? '', text), tag: tag?.trim() ?? null, op, value };
}

/** Parses `--max-drop` values: a bare number applies to every quality metric; `metric=value` to one. */
export function parseDropGate(text: string): DropGate {
  const bare = /^\s*(\d+\.?\d*|\.\d+)\s*$/.exec(text);
  if (bare) return { text: `--max-drop ${text}`, metric: null, value: Number(bare[1]) };
  const m = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(\d+\.?\d*|\.\d+)\s*$/.exec(text);
  if (!m) throw new IntentguardError('IG_USAGE', `--max-drop '${text}': expected a number or metric=number`);
  const name = ALIASES[m[1] ?? ''] ?? m[1] ?? '';
  if (!DIFF_METRICS.some((d) => d.name === name)) {
    throw new IntentguardError('IG_USAGE', `--max-drop '${text}': unknown metric (known: ${DIFF_METRICS.map((d) => d.name).join(', ')})`);
  }
  return { text: `--max-drop ${text}`, metric: name, value: Number(m[2]) };
}

function compare(actual: number, op: Op, threshold: number): boolean {
  // A small tolerance, so 0.95 reported as 0.9500000001 after rounding does not fail a 0.95 gate.
  const eps = 1e-9;
  switch (op) {
    case '<=':
      return actual <= threshold + eps;
    case '>=':
      return actual >= threshold - eps;
    case '<':
      return actual < threshold;
    case '>':
      return actual > threshold;
  }
}

function fmt(v: number | null): string {
  return v === null ? 'undefined' : String(Math.round(v * 1e6) / 1e6);
}

/**
 * Checks every gate on every cell. A metric that is undefined for a cell (no
 * cases of the kind it needs, or a tag the cell never saw) fails its gate: a
 * gate that cannot be checked does not pass.
 */
export function evaluateGates(
  report: EvalReport,
  thresholds: readonly ThresholdGate[],
  drops: readonly DropGate[],
  baseline: BaselineReport | undefined,
): GateResult[] {
  const out: GateResult[] = [];
  for (const cell of report.results) {
    for (const g of thresholds) {
      const target: TagResult | CellResult | undefined = g.tag === null ? cell : cell.by_tag[g.tag];
      const getter = GATE_METRICS[g.metric] as MetricGetter;
      const actual = target ? getter(target) : null;
      const ok = actual !== null && compare(actual, g.op, g.value);
      const what = `${g.metric}${g.tag === null ? '' : `[${g.tag}]`}`;
      out.push({
        gate: g.text,
        cell: cell.id,
        metric: g.metric,
        tag: g.tag,
        actual,
        threshold: g.value,
        op: g.op,
        ok,
        message: ok
          ? `${cell.id}: ${what} = ${fmt(actual)} ${g.op} ${g.value}`
          : actual === null
            ? `${cell.id}: ${what} is undefined (${target ? 'no cases to compute it on' : `no case has tag '${g.tag}'`}), gate ${g.text} fails`
            : `${cell.id}: ${what} = ${fmt(actual)}, not ${g.op} ${g.value} (gate ${g.text})`,
      });
    }
    if (drops.length === 0 || !baseline) continue;
    const base = baselineCellFor(baseline, cell.judge, cell.prompt);
    if (!base) continue;
    for (const d of drops) {
      for (const m of DIFF_METRICS) {
        if (d.metric === null ? m.name.startsWith('latency') : m.name !== d.metric) continue;
        const b = m.get(base);
        const c = m.get(cell as never);
        if (b === null || c === null) continue;
        const drop = m.higherIsBetter ? b - c : c - b;
        const ok = drop <= d.value + 1e-9;
        out.push({
          gate: d.text,
          cell: cell.id,
          metric: m.name,
          tag: null,
          actual: c,
          threshold: d.value,
          op: 'max-drop',
          ok,
          message: ok
            ? `${cell.id}: ${m.name} ${fmt(b)} → ${fmt(c)}`
            : `${cell.id}: ${m.name} got worse by ${fmt(drop)} (${fmt(b)} → ${fmt(c)}), more than ${d.value} (gate ${d.text})`,
        });
      }
    }
  }
  return out;
}
