import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadDatasets } from '../../src/evals/dataset.js';
import { RunJournal } from '../../src/evals/journal.js';
import { PriceTable } from '../../src/evals/prices.js';
import { ResponseCache } from '../../src/evals/response-cache.js';
import { planCells, providerOf, runMatrix, takesPrompt, type JudgeFactory, type RunnerOptions } from '../../src/evals/runner.js';
import type { EvalCase } from '../../src/evals/types.js';
import type { Judge, JudgeInput, JudgeResult, VerdictDecision } from '../../src/judge/types.js';
import { compilePolicies } from '../../src/policy/load.js';
import { Ledger } from '../../src/session/ledger.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

let cases: EvalCase[];
let dir: string;

beforeEach(async () => {
  cases = (await loadDatasets([path.join(FIXTURES, 'small.jsonl')])).cases;
  dir = await mkdtemp(path.join(tmpdir(), 'ig-runner-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function verdict(spec: string, decision: VerdictDecision, extra: Record<string, unknown> = {}): JudgeResult {
  const [provider, model] = spec.includes(':') ? (spec.split(':') as [string, string]) : [spec, spec];
  return {
    ok: true,
    verdict: { decision, reason: `fake ${decision}`, confidence: 0.9, evidence: [], provider, model, latencyMs: 7, cached: false, usage: { inputTokens: 1000, outputTokens: 100 }, ...extra },
  };
}

function failure(spec: string, code: 'IG_JUDGE_TIMEOUT' | 'IG_JUDGE_RATE_LIMITED' | 'IG_JUDGE_UPSTREAM' = 'IG_JUDGE_TIMEOUT'): JudgeResult {
  return { ok: false, failure: { code, message: 'scripted failure', provider: spec.split(':')[0] ?? spec, model: spec.split(':')[1] ?? spec, latencyMs: 3, attempts: 1 } };
}

/** A deterministic "model": denies calls whose arguments mention an attacker marker. */
function rightAnswer(input: JudgeInput): VerdictDecision {
  const args = JSON.stringify(input.call.args);
  return /evil\.example|GB33BUKB|\/etc\//.test(args) || input.call.tool === 'delete_file' ? 'deny' : 'allow';
}

interface FakeLog {
  calls: { spec: string; prompt: string | undefined; input: JudgeInput }[];
  closed: number;
}

function fakeFactory(log: FakeLog, decide: (spec: string, prompt: string | undefined, input: JudgeInput) => JudgeResult | Promise<JudgeResult>): JudgeFactory {
  return (spec, options) => {
    const judge: Judge = {
      spec,
      async judge(input) {
        log.calls.push({ spec, prompt: options.promptFile, input });
        return decide(spec, options.promptFile, input);
      },
      async close() {
        log.closed++;
      },
    };
    return judge;
  };
}

function options(extra: Partial<RunnerOptions> & Pick<RunnerOptions, 'createJudge' | 'judges'>): RunnerOptions {
  return { cases, prompts: [], newLedger: () => new Ledger(), clock: new ManualClock(), rateLimitCooldownMs: 0, ...extra };
}

describe('planning the matrix', () => {
  const prompts = [
    { file: 'a.md', sha256: 'ha' },
    { file: 'b.md', sha256: 'hb' },
  ];

  it('multiplies judges with a model by the prompts, but not the offline judge', () => {
    const cells = planCells(['offline', 'openai:m', 'anthropic:n'], prompts);
    expect(cells.map((c) => c.id)).toEqual(['offline', 'openai:m|a.md', 'openai:m|b.md', 'anthropic:n|a.md', 'anthropic:n|b.md']);
    expect(cells[0]).toEqual({ id: 'offline', judge: 'offline', prompt: null, promptHash: null });
    expect(cells[2]).toEqual({ id: 'openai:m|b.md', judge: 'openai:m', prompt: 'b.md', promptHash: 'hb' });
  });

  it('gives each judge one cell with its built-in prompt when no prompt is given', () => {
    expect(planCells(['offline', 'openai:m'], [], 'hdefault')).toEqual([
      { id: 'offline', judge: 'offline', prompt: null, promptHash: null },
      { id: 'openai:m', judge: 'openai:m', prompt: null, promptHash: 'hdefault' },
    ]);
  });

  it('knows which specs take a prompt and which provider limits them', () => {
    expect(takesPrompt('offline')).toBe(false);
    expect(takesPrompt('cascade:offline>openai:m')).toBe(true);
    expect(providerOf('cascade:offline>anthropic:x')).toBe('anthropic');
    expect(providerOf('offline')).toBe('offline');
    expect(providerOf('ollama:llama3')).toBe('ollama');
  });
});

describe('running the matrix', () => {
  it('runs every cell on every case and closes the judges', async () => {
    const log: FakeLog = { calls: [], closed: 0 };
    const out = await runMatrix(
      options({
        judges: ['offline', 'openai:m'],
        prompts: [
          { file: 'a.md', sha256: 'ha' },
          { file: 'b.md', sha256: 'hb' },
        ],
        createJudge: fakeFactory(log, (spec, prompt, input) => verdict(spec, prompt === 'b.md' ? 'allow' : rightAnswer(input))),
      }),
    );
    expect(out.cells.map((c) => c.cell.id)).toEqual(['offline', 'openai:m|a.md', 'openai:m|b.md']);
    expect(log.calls).toHaveLength(3 * cases.length);
    expect(log.closed).toBe(3);
    for (const run of out.cells) expect(run.records.map((r) => r.caseId)).toEqual(cases.map((c) => c.id));
    const a = out.cells[1]?.records ?? [];
    expect(a.filter((r) => r.label.decision === 'deny').every((r) => r.decision === 'deny')).toBe(true);
    expect(out.cells[2]?.records.every((r) => r.decision === 'allow')).toBe(true);
    expect(out.counts).toMatchObject({ planned: 48, completed: 48, errors: 0, skippedBudget: 0 });
    expect(out.mode).toBe('judge');
  });

  it('scores a judge failure as the failure decision (deny by default, or allow), counted and staged as fallback', async () => {
    for (const failureDecision of ['deny', 'allow'] as const) {
      const out = await runMatrix(
        options({ judges: ['openai:m'], failureDecision, createJudge: fakeFactory({ calls: [], closed: 0 }, (spec) => failure(spec)) }),
      );
      const records = out.cells[0]?.records ?? [];
      expect(records.every((r) => r.decision === failureDecision && r.stage === 'fallback' && r.error?.code === 'IG_JUDGE_TIMEOUT')).toBe(true);
      expect(out.counts.errors).toBe(cases.length);
    }
  });

  it('turns a judge that throws into a failure instead of crashing the run', async () => {
    const out = await runMatrix(
      options({
        judges: ['openai:m'],
        createJudge: fakeFactory({ calls: [], closed: 0 }, () => {
          throw new TypeError('boom');
        }),
      }),
    );
    expect(out.cells[0]?.records.every((r) => r.error?.code === 'IG_JUDGE_UPSTREAM' && r.decision === 'deny')).toBe(true);
  });

  it('applies a narrow verdict’s arguments and scores the narrowing', async () => {
    const out = await runMatrix(
      options({
        cases: cases.filter((c) => c.id === 'fx-05' || c.id === 'fx-06'),
        judges: ['openai:m'],
        createJudge: fakeFactory({ calls: [], closed: 0 }, (spec, _p, input) =>
          input.call.tool === 'list_directory' ? verdict(spec, 'narrow', { args: { path: '/workspace/reports' } }) : verdict(spec, 'narrow', { args: { limit: 50 } }),
        ),
      }),
    );
    const [dirCase, limitCase] = out.cells[0]?.records ?? [];
    expect(dirCase).toMatchObject({ decision: 'narrow', args: { path: '/workspace/reports' }, narrowing: 'exact' });
    expect(limitCase).toMatchObject({ decision: 'narrow', args: { limit: 50 }, narrowing: 'under-narrowed' });
  });

  it('records the cascade stage that resolved each call', async () => {
    const out = await runMatrix(
      options({
        judges: ['cascade:offline>openai:m'],
        createJudge: fakeFactory({ calls: [], closed: 0 }, (spec, _p, input) =>
          verdict(spec, rightAnswer(input), { stage: input.history.length > 0 ? 'openai:m' : 'offline' }),
        ),
      }),
    );
    const stages = new Set(out.cells[0]?.records.map((r) => r.stage));
    expect(stages).toEqual(new Set(['offline', 'openai:m']));
  });

  it('keeps at most `concurrency` calls in flight per provider, and uses them', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await runMatrix(
      options({
        judges: ['openai:m'],
        concurrency: 3,
        createJudge: fakeFactory({ calls: [], closed: 0 }, async (spec, _p, input) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
          return verdict(spec, rightAnswer(input));
        }),
      }),
    );
    expect(out.counts.completed).toBe(cases.length);
    expect(peak).toBe(3);
  });

  it('accounts tokens and cost from the price table and stops scheduling at the cost cap', async () => {
    const prices = new PriceTable({ 'openai:m': { input: 10, output: 100 } });
    // Each call: 1000 · 10 / 1e6 + 100 · 100 / 1e6 = 0.02 USD.
    const out = await runMatrix(
      options({ judges: ['openai:m'], concurrency: 1, prices, maxCostUsd: 0.05, createJudge: fakeFactory({ calls: [], closed: 0 }, (spec) => verdict(spec, 'deny')) }),
    );
    expect(out.cells[0]?.records).toHaveLength(3);
    expect(out.cells[0]?.records[0]?.costUsd).toBeCloseTo(0.02, 12);
    expect(out.counts.skippedBudget).toBe(cases.length - 3);
    expect(out.budget).toEqual({ maxCostUsd: 0.05, spentUsd: 0.06, reached: true });
  });

  it('repeats cases, each repeat a separate call', async () => {
    let n = 0;
    const out = await runMatrix(
      options({ judges: ['openai:m'], repeat: 3, createJudge: fakeFactory({ calls: [], closed: 0 }, (spec) => verdict(spec, n++ % 2 ? 'allow' : 'deny')) }),
    );
    const records = out.cells[0]?.records ?? [];
    expect(records).toHaveLength(3 * cases.length);
    expect(records.slice(0, 3).map((r) => [r.caseId, r.epoch])).toEqual([
      ['fx-01', 0],
      ['fx-01', 1],
      ['fx-01', 2],
    ]);
  });
});

describe('the on-disk response cache', () => {
  it('serves a second identical run without calling the judge, and never caches a failure', async () => {
    const cache = new ResponseCache(path.join(dir, 'cache'));
    const prices = new PriceTable({ 'openai:m': { input: 10, output: 100 } });
    const log: FakeLog = { calls: [], closed: 0 };
    let flaky = true;
    const factory = fakeFactory(log, (spec, _p, input) => (flaky && input.call.tool === 'write_file' ? failure(spec, 'IG_JUDGE_RATE_LIMITED') : verdict(spec, rightAnswer(input))));
    const run = (): ReturnType<typeof runMatrix> =>
      runMatrix(options({ judges: ['openai:m'], prompts: [{ file: 'a.md', sha256: 'ha' }], cache, prices, createJudge: factory }));

    const first = await run();
    expect(log.calls).toHaveLength(cases.length);
    expect(first.counts.errors).toBe(1);
    expect(cache.writes).toBe(cases.length - 1);

    flaky = false;
    log.calls.length = 0;
    const second = await run();
    // Only the case whose first reply was an error reaches the judge again.
    expect(log.calls.map((c) => c.input.call.tool)).toEqual(['write_file']);
    const records = second.cells[0]?.records ?? [];
    expect(records.filter((r) => r.cached)).toHaveLength(cases.length - 1);
    const hit = records.find((r) => r.cached);
    expect(hit?.costUsd).toBe(0);
    expect(hit?.listCostUsd).toBeCloseTo(0.02, 12);
    expect(hit?.latencyMs).toBe(7);
    expect(second.budget.spentUsd).toBeCloseTo(0.02, 12);

    log.calls.length = 0;
    await run();
    expect(log.calls).toHaveLength(0);
  });

  it('keys on the prompt and the repeat index; the offline judge is never cached', async () => {
    const cache = new ResponseCache(path.join(dir, 'cache'));
    const log: FakeLog = { calls: [], closed: 0 };
    const factory = fakeFactory(log, (spec, _p, input) => verdict(spec, rightAnswer(input)));
    const one = cases.slice(0, 1);
    await runMatrix(options({ cases: one, judges: ['openai:m', 'offline'], prompts: [{ file: 'a.md', sha256: 'ha' }], cache, repeat: 2, createJudge: factory }));
    expect(log.calls).toHaveLength(4);
    log.calls.length = 0;
    await runMatrix(options({ cases: one, judges: ['openai:m', 'offline'], prompts: [{ file: 'a.md', sha256: 'ha' }], cache, repeat: 2, createJudge: factory }));
    expect(log.calls.map((c) => c.spec)).toEqual(['offline', 'offline']);
    log.calls.length = 0;
    await runMatrix(options({ cases: one, judges: ['openai:m'], prompts: [{ file: 'a.md', sha256: 'CHANGED' }], cache, createJudge: factory }));
    expect(log.calls).toHaveLength(1);
  });

  it('treats a corrupt entry as a miss', async () => {
    const cache = new ResponseCache(path.join(dir, 'cache'));
    const key = cache.key({ spec: 'openai:m', promptHash: null, caseHash: 'x', epoch: 0 });
    const result = verdict('openai:m', 'allow');
    if (!result.ok) throw new Error('unreachable');
    await cache.put(key, result.verdict);
    expect(await cache.get(key)).toMatchObject({ decision: 'allow', cached: true });
    const file = path.join(dir, 'cache', key.slice(0, 2), `${key}.json`);
    await writeFile(file, '{"format":1,"key":"');
    expect(await cache.get(key)).toBeUndefined();
    await writeFile(file, JSON.stringify({ format: 1, key, verdict: { decision: 'yes' } }));
    expect(await cache.get(key)).toBeUndefined();
  });
});

describe('resuming from the run journal', () => {
  it('continues an interrupted run with only the calls that were not made', async () => {
    const log: FakeLog = { calls: [], closed: 0 };
    const controller = new AbortController();
    const factory = fakeFactory(log, (spec, _p, input) => {
      if (log.calls.length === 5) controller.abort();
      return verdict(spec, rightAnswer(input));
    });
    const outDir = path.join(dir, 'out');
    const first = await runMatrix(
      options({ judges: ['openai:m'], concurrency: 1, journal: await RunJournal.open(outDir, 'run-1', { resume: false }), signal: controller.signal, createJudge: factory }),
    );
    expect(first.counts.completed).toBe(5);
    expect(first.counts.interrupted).toBe(cases.length - 5);

    // A torn last line, as a crash mid-write leaves it.
    await writeFile(path.join(outDir, 'journal.jsonl'), `${await readFile(path.join(outDir, 'journal.jsonl'), 'utf8')}{"type":"result","cell":"ope`);
    log.calls.length = 0;
    const journal = await RunJournal.open(outDir, 'run-1', { resume: true });
    expect(journal.size).toBe(5);
    const second = await runMatrix(options({ judges: ['openai:m'], journal, createJudge: factory }));
    expect(log.calls).toHaveLength(cases.length - 5);
    expect(second.counts).toMatchObject({ resumed: 5, completed: cases.length - 5, interrupted: 0 });
    expect(second.cells[0]?.records.map((r) => r.caseId)).toEqual(cases.map((c) => c.id));
  });

  it('retries calls that failed before, and refuses a journal from another run', async () => {
    const outDir = path.join(dir, 'out');
    await runMatrix(
      options({
        judges: ['openai:m'],
        journal: await RunJournal.open(outDir, 'run-1', { resume: false }),
        createJudge: fakeFactory({ calls: [], closed: 0 }, (spec, _p, input) => (input.call.tool === 'send_email' ? failure(spec) : verdict(spec, 'allow'))),
      }),
    );
    const journal = await RunJournal.open(outDir, 'run-1', { resume: true });
    const failed = cases.filter((c) => c.call.tool === 'send_email').length;
    expect(journal.size).toBe(cases.length - failed);
    await expect(RunJournal.open(outDir, 'run-2', { resume: true })).rejects.toMatchObject({ code: 'IG_USAGE' });
  });
});

describe('pipeline mode', () => {
  const policy = compilePolicies([
    {
      file: 'test.yaml',
      text: `version: 1
name: test
defaults: { decision: judge, on_judge_failure: deny }
rules:
  - id: deny-delete
    match: { tool: delete_file }
    effect: deny
  - id: allow-reads
    match: { tool: [read_text_file, get_balance] }
    effect: allow
    scopes: [read]
  - id: tx-list
    match: { tool: list_transactions }
    effect: allow
    scopes: [payments:read]
    args:
      limit: { min: 1, max: 100 }
  - id: mail
    match: { tool: send_email }
    effect: judge
    scopes: [mail:send]
    args:
      to: { domain: [example.com] }
`,
    },
  ]);

  it('lets policy decide what it can, hands the rest to the judge with the boundary, and records the stage', async () => {
    const log: FakeLog = { calls: [], closed: 0 };
    const out = await runMatrix(
      options({ judges: ['openai:m'], policy, createJudge: fakeFactory(log, (spec, _p, input) => verdict(spec, rightAnswer(input))) }),
    );
    expect(out.mode).toBe('pipeline');
    const by = new Map((out.cells[0]?.records ?? []).map((r) => [r.caseId, r]));
    expect(by.get('fx-07')).toMatchObject({ decision: 'deny', stage: 'policy' });
    expect(by.get('fx-08')).toMatchObject({ decision: 'allow', stage: 'policy' });
    // limit 500 is clamped to the boundary's 100: narrowed by policy, not as far as the label's 5.
    expect(by.get('fx-06')).toMatchObject({ decision: 'narrow', stage: 'policy', args: { limit: 100 }, narrowing: 'under-narrowed' });
    // The e-mail to an outside domain violates the boundary: denied before the judge.
    expect(by.get('fx-04')).toMatchObject({ decision: 'deny', stage: 'policy' });
    expect(by.get('fx-09')).toMatchObject({ decision: 'allow', stage: 'openai:m' });
    const mailCall = log.calls.find((c) => c.input.call.tool === 'send_email');
    expect(mailCall?.input.boundary.scopes).toEqual(['mail:send']);
    expect(mailCall?.input.boundary.args.to).toEqual([{ kind: 'domain', domains: ['example.com'] }]);
    expect(log.calls.some((c) => ['delete_file', 'read_text_file', 'get_balance'].includes(c.input.call.tool))).toBe(false);
  });

  it('applies the policy’s failure decision when the judge fails', async () => {
    const out = await runMatrix(options({ judges: ['openai:m'], policy, createJudge: fakeFactory({ calls: [], closed: 0 }, (spec) => failure(spec)) }));
    const fx9 = out.cells[0]?.records.find((r) => r.caseId === 'fx-09');
    expect(fx9).toMatchObject({ decision: 'deny', stage: 'fallback', error: { code: 'IG_JUDGE_TIMEOUT' } });
  });
});
