import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, sha256Hex } from '../canonical.js';
import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import { loadPrompt, DEFAULT_PROMPT_FILE } from '../judge/prompt.js';
import { createJudge } from '../judge/registry.js';
import { compilePolicies, readPolicySources } from '../policy/load.js';
import type { PolicyEngine } from '../policy/types.js';
import { Ledger } from '../session/ledger.js';
import { loadDatasets } from './dataset.js';
import { evaluateGates, parseDropGate, parseThresholdGate } from './gates.js';
import type { LedgerFactory } from './judge-input.js';
import { RunJournal } from './journal.js';
import { PriceTable } from './prices.js';
import { buildReport, diffAgainstBaseline, loadBaseline, type BaselineReport, type EvalReport } from './report.js';
import { renderHtml } from './report-html.js';
import { renderJunit } from './report-junit.js';
import { renderMarkdown } from './report-md.js';
import { ResponseCache } from './response-cache.js';
import { runMatrix, takesPrompt, type JudgeFactory, type ProgressState, type PromptRef } from './runner.js';
import type { CellRun, EvalCase } from './types.js';

/** Everything one `intentguard eval` run needs, already parsed from flags. */
export interface EvalConfig {
  readonly datasets: readonly string[];
  /** Judge specs; default `offline`. */
  readonly judges: readonly string[];
  readonly prompts: readonly string[];
  /** Pipeline mode when non-empty. */
  readonly policy: readonly string[];
  readonly repeat: number;
  readonly concurrency: number;
  /** null: no on-disk cache. */
  readonly cacheDir: string | null;
  readonly resume: boolean;
  readonly outDir: string | null;
  readonly maxCostUsd?: number | undefined;
  readonly pricesFile?: string | undefined;
  readonly tags: readonly string[];
  readonly limit: number | null;
  readonly seed: number;
  readonly resamples: number;
  readonly failureDecision: 'deny' | 'allow';
  readonly baseline?: string | undefined;
  readonly min: readonly string[];
  readonly max: readonly string[];
  readonly maxDrop: readonly string[];
  /** Per-call budget of LLM judges (ms), when set. */
  readonly judgeTimeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly onProgress?: ((s: ProgressState) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Tests inject judges; the default builds them from the registry. */
  readonly createJudge?: JudgeFactory | undefined;
  readonly newLedger?: LedgerFactory | undefined;
  readonly rateLimitCooldownMs?: number | undefined;
}

export interface EvalRun {
  readonly report: EvalReport;
  readonly cells: readonly CellRun[];
}

/** Expands `*` and `?` in the last path segment (for shells that did not, or quoted globs). */
export async function expandDatasetPaths(patterns: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of patterns) {
    const base = path.basename(p);
    if (!/[*?]/.test(base)) {
      out.push(p);
      continue;
    }
    const dir = path.dirname(p);
    const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      throw new IntentguardError('IG_INPUT_INVALID', 'no such directory', { location: { file: dir } });
    }
    const matched = names.filter((n) => re.test(n)).sort();
    if (matched.length === 0) throw new IntentguardError('IG_INPUT_INVALID', 'no dataset file matches', { location: { file: p } });
    out.push(...matched.map((n) => (dir === '.' && !p.startsWith('./') ? n : path.join(dir, n))));
  }
  return [...new Set(out)];
}

function selectCases(cases: readonly EvalCase[], tags: readonly string[], limit: number | null): EvalCase[] {
  const chosen = tags.length === 0 ? [...cases] : cases.filter((c) => c.tags.some((t) => tags.includes(t)));
  return limit === null ? chosen : chosen.slice(0, limit);
}

function defaultJudgeFactory(clock: Clock, timeoutMs: number | undefined): JudgeFactory {
  // The registry's in-memory cache stays off: `--repeat` must reach the model every time; the on-disk cache is the runner's.
  return (spec, options) =>
    createJudge(spec, {
      cache: false,
      clock,
      ...(options.promptFile === undefined ? {} : { promptFile: options.promptFile }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
}

/**
 * Validates the configuration, loads everything, runs the matrix, scores it,
 * compares with the baseline and checks the gates. Bad usage and bad input
 * throw (exit 2) before any judge is called.
 */
export async function runEval(config: EvalConfig): Promise<EvalRun> {
  const clock = config.clock ?? systemClock;
  if (config.resume && !config.outDir) throw new IntentguardError('IG_USAGE', '--resume needs --out DIR (the run journal lives there)');
  if (config.maxDrop.length > 0 && !config.baseline) throw new IntentguardError('IG_USAGE', '--max-drop needs --baseline report.json');
  if (!Number.isInteger(config.repeat) || config.repeat < 1 || config.repeat > 100) throw new IntentguardError('IG_USAGE', '--repeat must be an integer from 1 to 100');
  if (!Number.isInteger(config.concurrency) || config.concurrency < 1 || config.concurrency > 256) {
    throw new IntentguardError('IG_USAGE', '--concurrency must be an integer from 1 to 256');
  }
  if (config.maxCostUsd !== undefined && !(config.maxCostUsd >= 0)) throw new IntentguardError('IG_USAGE', '--max-cost must be a non-negative number of USD');
  const thresholds = [...config.min.map((g) => parseThresholdGate(g, 'min')), ...config.max.map((g) => parseThresholdGate(g, 'max'))];
  const drops = config.maxDrop.map(parseDropGate);
  const baseline: BaselineReport | undefined = config.baseline ? await loadBaseline(config.baseline) : undefined;

  const judges = config.judges.length ? [...new Set(config.judges)] : ['offline'];
  const factory = config.createJudge ?? defaultJudgeFactory(clock, config.judgeTimeoutMs);
  const prompts: PromptRef[] = config.prompts.map((file) => ({ file, sha256: loadPrompt(file).hash }));
  const defaultPromptHash = prompts.length === 0 && judges.some(takesPrompt) ? loadPrompt(DEFAULT_PROMPT_FILE).hash : null;

  const loaded = await loadDatasets(await expandDatasetPaths(config.datasets));
  const cases = selectCases(loaded.cases, config.tags, config.limit);
  if (cases.length === 0) throw new IntentguardError('IG_USAGE', 'no case left to run (check --tag and --limit)');

  let policy: PolicyEngine | undefined;
  let policyHash: string | null = null;
  if (config.policy.length > 0) {
    const sources = await readPolicySources(config.policy);
    policy = compilePolicies(sources);
    policyHash = sha256Hex(canonicalJson(sources.map((s) => sha256Hex(s.text))));
  }
  const prices = config.pricesFile ? await PriceTable.load(config.pricesFile) : new PriceTable();
  const cache = config.cacheDir ? new ResponseCache(config.cacheDir) : undefined;

  const runKey = sha256Hex(
    canonicalJson({
      datasets: loaded.datasets.map((d) => d.sha256),
      cases: cases.map((c) => c.id),
      judges,
      prompts: prompts.map((p) => [p.file, p.sha256]),
      defaultPromptHash,
      policyHash,
      repeat: config.repeat,
      failureDecision: config.failureDecision,
    }),
  );
  const journal = config.outDir ? await RunJournal.open(config.outDir, runKey, { resume: config.resume }) : undefined;

  const outcome = await runMatrix({
    cases,
    judges,
    prompts,
    defaultPromptHash,
    createJudge: factory,
    newLedger: config.newLedger ?? (() => new Ledger()),
    policy,
    repeat: config.repeat,
    concurrency: config.concurrency,
    cache,
    journal,
    prices,
    maxCostUsd: config.maxCostUsd,
    failureDecision: config.failureDecision,
    clock,
    onProgress: config.onProgress,
    signal: config.signal,
    rateLimitCooldownMs: config.rateLimitCooldownMs,
  });

  let report = buildReport(outcome, {
    datasets: loaded.datasets,
    nCases: cases.length,
    judges,
    prompts,
    policy: config.policy,
    repeat: config.repeat,
    seed: config.seed,
    resamples: config.resamples,
    failureDecision: config.failureDecision,
    tags: config.tags,
    limit: config.limit,
    cache: { enabled: cache !== undefined, hits: cache?.hits ?? 0, misses: cache?.misses ?? 0, writes: cache?.writes ?? 0 },
    clock,
  });
  if (baseline && config.baseline) report = { ...report, baseline: diffAgainstBaseline(report, baseline, config.baseline) };
  const gates = evaluateGates(report, thresholds, drops, baseline);
  report = { ...report, gates, ok: report.ok && gates.every((g) => g.ok) };
  return { report, cells: outcome.cells };
}

/** Writes report.json, report.md, report.html, junit.xml and predictions.jsonl into `dir`. */
export async function writeReports(dir: string, run: EvalRun): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['report.json', `${JSON.stringify(run.report, null, 2)}\n`],
    ['report.md', renderMarkdown(run.report)],
    ['report.html', renderHtml(run.report)],
    ['junit.xml', renderJunit(run.cells)],
    [
      'predictions.jsonl',
      run.cells
        .flatMap((c) => c.records.map((r) => JSON.stringify({ cell: c.cell.id, ...r })))
        .join('\n')
        .concat(run.cells.some((c) => c.records.length) ? '\n' : ''),
    ],
  ];
  for (const [name, text] of files) await writeFile(path.join(dir, name), text);
  return files.map(([name]) => path.join(dir, name));
}
