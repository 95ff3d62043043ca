import { writeFile } from 'node:fs/promises';
import { systemClock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import { runEval, writeReports, type EvalConfig } from '../evals/eval.js';
import { importAgentDojo } from '../evals/import-agentdojo.js';
import { toJsonl } from '../evals/import-common.js';
import { importMessages } from '../evals/import-messages.js';
import { progressBar } from '../evals/progress.js';
import { renderHtml } from '../evals/report-html.js';
import { renderMarkdown } from '../evals/report-md.js';
import { renderTable } from '../evals/report-table.js';
import { parseFlags, type Verb } from './verb.js';

const HELP = `usage: intentguard eval --dataset FILE... [options]
       intentguard eval import --from agentdojo|messages FILE... --out FILE [options]

Scores judges (and prompts) on labeled traces: every judge × prompt is one cell.

  --dataset FILE...      labeled-trace JSONL files (repeatable; extra file arguments are datasets too)
  --judge SPEC           offline (default), openai:MODEL, anthropic:MODEL, ollama:MODEL, cascade:A>B (repeatable)
  --prompt FILE          a prompt file (repeatable); the offline judge ignores prompts
  --policy PATH          pipeline mode: score what the whole guard decides, policy then judge (repeatable)
  --format F             table (default), json, md or html, on stdout
  --out DIR              also write report.json, report.md, report.html, junit.xml, predictions.jsonl
                         and the run journal
  --baseline FILE        an earlier report.json: diff against it (and --max-drop)
  --min METRIC=V         gate: fail (exit 1) when a cell's metric is below V (repeatable)
  --max METRIC=V         gate: fail when above V; 'METRIC<=V' and 'METRIC[tag]<=V' forms also work
  --max-drop X           gate: fail when a quality metric is worse than the baseline by more than X
                         (or METRIC=X for one metric)
  --repeat N             run every case N times (non-deterministic judges); metrics over all repeats
  --concurrency N        calls in flight per provider (default 4)
  --cache-dir DIR        on-disk response cache (default .intentguard/eval-cache)
  --no-cache             do not read or write the response cache
  --resume               continue an interrupted run from the journal in --out
  --max-cost USD         stop scheduling calls once this much is spent (exit 1)
  --prices FILE          JSON price table {"provider:model": {"input": USD, "output": USD}} per 1M tokens
  --tag T                only cases with this tag (repeatable: any of them)
  --limit N              only the first N cases
  --on-judge-failure D   how a judge failure is scored in judge mode: deny (default) or allow
  --timeout-ms N         per-call budget of LLM judges
  --seed N               bootstrap seed (default 1); --bootstrap N resamples (default 1000, 0 = off)

Metrics: accuracy, balanced_accuracy, deny_precision, deny_recall, deny_f1, false_deny_rate,
false_allow_rate, error_rate, errors, n, latency_p50/p95/p99, cost_usd, narrow_exact_rate.

Import:
  --from agentdojo       AgentDojo run logs (needs ground truth inline or via --ground-truth FILE)
  --from messages        OpenAI-style message traces; labels inline, via --labels FILE, or unlabeled
  --out FILE             the JSONL to write ('-' for stdout)
  --labeled-only         leave out calls without a label
  --id-prefix P          prefix for generated case ids

Exit codes: 0 ok, 1 a gate failed or the cost cap was reached, 2 bad usage or a malformed dataset.`;

const FORMATS = ['table', 'json', 'md', 'html'] as const;
type Format = (typeof FORMATS)[number];

function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new IntentguardError('IG_USAGE', `--${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

async function runImport(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      from: { type: 'string' },
      out: { type: 'string' },
      'ground-truth': { type: 'string' },
      labels: { type: 'string' },
      'labeled-only': { type: 'boolean' },
      'id-prefix': { type: 'string' },
    },
    true,
  );
  if (positionals.length === 0) throw new IntentguardError('IG_USAGE', 'eval import: give at least one input FILE');
  if (!values.out) throw new IntentguardError('IG_USAGE', 'eval import: --out FILE is required (or --out - for stdout)');
  const prefix = values['id-prefix'];
  let summary;
  if (values.from === 'agentdojo') {
    summary = await importAgentDojo({ files: positionals, groundTruthFile: values['ground-truth'], idPrefix: prefix });
  } else if (values.from === 'messages') {
    summary = await importMessages({ files: positionals, labelsFile: values.labels, labeledOnly: values['labeled-only'] ?? false, idPrefix: prefix });
  } else {
    throw new IntentguardError('IG_USAGE', 'eval import: --from must be agentdojo or messages');
  }
  const text = toJsonl(summary.traces);
  if (values.out === '-') process.stdout.write(text);
  else await writeFile(values.out, text);
  const labeled = summary.traces.filter((t) => t.label).length;
  process.stderr.write(
    `intentguard eval import: ${summary.traces.length} traces (${labeled} labeled) from ${summary.files} file(s); ${summary.unlabeled} tool calls without a label${
      values.from === 'agentdojo' ? ' left out' : ''
    }\n`,
  );
  return 0;
}

async function run(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'import') return runImport(argv.slice(1));
  const { values, positionals } = parseFlags(
    argv,
    {
      dataset: { type: 'string', multiple: true },
      judge: { type: 'string', multiple: true },
      prompt: { type: 'string', multiple: true },
      policy: { type: 'string', multiple: true },
      format: { type: 'string' },
      out: { type: 'string' },
      baseline: { type: 'string' },
      min: { type: 'string', multiple: true },
      max: { type: 'string', multiple: true },
      'max-drop': { type: 'string', multiple: true },
      repeat: { type: 'string' },
      concurrency: { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-cache': { type: 'boolean' },
      resume: { type: 'boolean' },
      'max-cost': { type: 'string' },
      prices: { type: 'string' },
      tag: { type: 'string', multiple: true },
      limit: { type: 'string' },
      'on-judge-failure': { type: 'string' },
      'timeout-ms': { type: 'string' },
      seed: { type: 'string' },
      bootstrap: { type: 'string' },
    },
    true,
  );
  const format = (values.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) throw new IntentguardError('IG_USAGE', `--format must be one of ${FORMATS.join(', ')}`);
  const failure = values['on-judge-failure'] ?? 'deny';
  if (failure !== 'deny' && failure !== 'allow') throw new IntentguardError('IG_USAGE', '--on-judge-failure must be deny or allow');
  const datasets = [...(values.dataset ?? []), ...positionals];
  if (datasets.length === 0) throw new IntentguardError('IG_USAGE', 'give at least one --dataset FILE (see intentguard eval --help)');
  let maxCost: number | undefined;
  if (values['max-cost'] !== undefined) {
    maxCost = Number(values['max-cost']);
    if (!Number.isFinite(maxCost) || maxCost < 0) throw new IntentguardError('IG_USAGE', '--max-cost must be a non-negative number of USD');
  }
  const timeoutMs = values['timeout-ms'] === undefined ? undefined : intFlag('timeout-ms', values['timeout-ms'], 0, 1, 600_000);

  const clock = systemClock;
  const bar = progressBar(process.stderr, clock);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const config: EvalConfig = {
    datasets,
    judges: values.judge ?? [],
    prompts: values.prompt ?? [],
    policy: values.policy ?? [],
    repeat: intFlag('repeat', values.repeat, 1, 1, 100),
    concurrency: intFlag('concurrency', values.concurrency, 4, 1, 256),
    cacheDir: values['no-cache'] ? null : (values['cache-dir'] ?? '.intentguard/eval-cache'),
    resume: values.resume ?? false,
    outDir: values.out ?? null,
    maxCostUsd: maxCost,
    pricesFile: values.prices,
    tags: values.tag ?? [],
    limit: values.limit === undefined ? null : intFlag('limit', values.limit, 0, 1, Number.MAX_SAFE_INTEGER),
    seed: intFlag('seed', values.seed, 1, 0, 2 ** 32 - 1),
    resamples: intFlag('bootstrap', values.bootstrap, 1000, 0, 100_000),
    failureDecision: failure,
    baseline: values.baseline,
    min: values.min ?? [],
    max: values.max ?? [],
    maxDrop: values['max-drop'] ?? [],
    judgeTimeoutMs: timeoutMs,
    clock,
    onProgress: (s) => bar.update(s),
    signal: controller.signal,
  };
  let result;
  try {
    result = await runEval(config);
  } finally {
    bar.done();
    process.removeListener('SIGINT', onSigint);
  }
  const { report } = result;
  if (controller.signal.aborted) {
    process.stderr.write(
      `intentguard eval: interrupted; ${report.run.interrupted} calls not run.${config.outDir ? ' Rerun with --resume to continue.' : ''}\n`,
    );
    return 1;
  }
  if (config.outDir) await writeReports(config.outDir, result);
  const text =
    format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'md' ? renderMarkdown(report) : format === 'html' ? renderHtml(report) : renderTable(report);
  process.stdout.write(text);

  for (const g of report.gates.filter((x) => !x.ok)) process.stderr.write(`intentguard eval: gate failed: ${new IntentguardError('IG_EVAL_GATE', g.message).describe()}\n`);
  if (report.run.budget.reached) {
    const err = new IntentguardError(
      'IG_EVAL_BUDGET',
      `cost cap reached: spent $${report.run.budget.spent_usd} of $${report.run.budget.max_cost_usd}; ${report.run.skippedBudget} calls were not made`,
    );
    process.stderr.write(`intentguard eval: ${err.describe()}\n`);
  }
  return report.ok ? 0 : 1;
}

export const evalVerb: Verb = { help: HELP, run };
