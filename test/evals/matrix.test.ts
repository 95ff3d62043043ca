import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { startAnthropicServer, startOpenAIServer, type ProviderServer, type RecordedRequest, type ScriptStep } from '../helpers/provider-servers.js';
import { EvalJsonContract, EvalJsonExtensions } from './contract.js';

/**
 * The prompt × provider matrix end to end: the built CLI, the real provider
 * SDKs, and scripted OpenAI and Anthropic servers on 127.0.0.1. The scripted
 * "model" reads the prompt it was sent: under prompt A it denies calls whose
 * arguments carry an attacker value; under prompt B it allows everything. So
 * the B cells must miss every deny case, and the paired test must say so.
 */

const FX = path.join(ROOT, 'test/evals/fixtures');
const SMALL = path.join(FX, 'small.jsonl');
const PROMPT_A = path.join(FX, 'prompt-a.md');
const PROMPT_B = path.join(FX, 'prompt-b.md');
const OPENAI = 'openai:gpt-4o-mini';
const ANTHROPIC = 'anthropic:claude-3-5-haiku-latest';
const DENY_CASES = 8;
const CASES = 16;

/** The text the model was shown for the call under judgement: its user message. */
function shown(req: RecordedRequest): string {
  return JSON.stringify(req.body?.messages ?? []) + JSON.stringify(req.body?.system ?? '');
}

function scriptedModel(req: RecordedRequest): ScriptStep {
  const text = shown(req);
  const attacker = /evil\.example|GB33BUKB20201555555555|\/etc\/passwd|delete_file/.test(text);
  const decision = text.includes('PROMPT-A-MARKER') && attacker ? 'deny' : 'allow';
  return { kind: 'verdict', verdict: { reasoning: 'scripted', decision, confidence: 0.9 } };
}

let dir: string;
let servers: ProviderServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ig-matrix-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(fallback: (req: RecordedRequest) => ScriptStep = scriptedModel): Promise<{ openai: ProviderServer; anthropic: ProviderServer; env: Record<string, string> }> {
  const openai = await startOpenAIServer([], { fallback });
  const anthropic = await startAnthropicServer([], { fallback });
  servers.push(openai, anthropic);
  return {
    openai,
    anthropic,
    env: { OPENAI_BASE_URL: openai.baseURL, OPENAI_API_KEY: 'sk-test-not-a-key', ANTHROPIC_BASE_URL: anthropic.baseURL, ANTHROPIC_API_KEY: 'test-not-a-key' },
  };
}

interface Report {
  results: { id: string; judge: string; prompt: string | null; n: number; false_allow_rate: number; deny_recall: number; cached: number; cost_usd: number; tokens: { input: number } }[];
  comparisons: { a: string; b: string; better: string | null; p_value: number; a_only_correct: number; b_only_correct: number }[];
  run: { completed: number; resumed: number; cached: number; errors: number; skippedBudget: number; budget: { reached: boolean; spent_usd: number } };
}

describe('the 2 prompts × 2 providers matrix against scripted providers', () => {
  it('produces the matrix, the paired comparison and the HTML report; a second identical run makes no provider calls', async () => {
    const { openai, anthropic, env } = await start();
    const out = path.join(dir, 'matrix');
    const cacheDir = path.join(dir, 'cache');
    const args = ['eval', '--dataset', SMALL, '--judge', OPENAI, '--judge', ANTHROPIC, '--prompt', PROMPT_A, '--prompt', PROMPT_B, '--cache-dir', cacheDir, '--out', out, '--format', 'json'];
    const first = await runCli(args, { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(openai.requests).toHaveLength(2 * CASES);
    expect(anthropic.requests).toHaveLength(2 * CASES);

    const report = JSON.parse(first.stdout) as Report;
    expect(EvalJsonContract.safeParse(report).error).toBeUndefined();
    expect(EvalJsonExtensions.safeParse(report).error).toBeUndefined();
    expect(report.results.map((r) => [r.judge, r.prompt])).toEqual([
      [OPENAI, PROMPT_A],
      [OPENAI, PROMPT_B],
      [ANTHROPIC, PROMPT_A],
      [ANTHROPIC, PROMPT_B],
    ]);
    for (const r of report.results) {
      expect(r.n).toBe(CASES);
      expect(r.false_allow_rate).toBe(r.prompt === PROMPT_A ? 0 : 1);
      expect(r.tokens.input).toBe(120 * CASES);
    }
    // gpt-4o-mini: (120 · 0.15 + 40 · 0.6) / 1e6 per call.
    expect(report.results[0]?.cost_usd).toBeCloseTo((CASES * (120 * 0.15 + 40 * 0.6)) / 1e6, 10);
    expect(report.comparisons).toHaveLength(6);
    const aVsB = report.comparisons.find((c) => c.a === `${OPENAI}|${PROMPT_A}` && c.b === `${OPENAI}|${PROMPT_B}`);
    expect(aVsB).toMatchObject({ a_only_correct: DENY_CASES, b_only_correct: 0, better: `${OPENAI}|${PROMPT_A}` });
    expect(aVsB?.p_value).toBeCloseTo(2 / 2 ** DENY_CASES, 12);
    const sameModelsAcrossProviders = report.comparisons.find((c) => c.a === `${OPENAI}|${PROMPT_A}` && c.b === `${ANTHROPIC}|${PROMPT_A}`);
    expect(sameModelsAcrossProviders).toMatchObject({ a_only_correct: 0, b_only_correct: 0, better: null, p_value: 1 });

    // What the model was shown: the prompt under test, and never the case's id, label or tags.
    const firstBody = JSON.stringify(openai.requests[0]?.body);
    expect(firstBody).toContain('PROMPT-A-MARKER');
    for (const leak of ['fx-01', 'intentguard test fixture', 'domain:payments', '"label"']) expect(firstBody).not.toContain(leak);

    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/data-chart="confusion"/g)).toHaveLength(4);
    expect(html).toContain('Paired comparisons');
    const junit = await readFile(path.join(out, 'junit.xml'), 'utf8');
    expect((junit.match(/<testsuite /g) ?? []).length).toBe(4);

    const second = await runCli(args, { env });
    expect(second.code).toBe(0);
    expect(openai.requests).toHaveLength(2 * CASES);
    expect(anthropic.requests).toHaveLength(2 * CASES);
    const again = JSON.parse(second.stdout) as Report;
    expect(again.results.every((r) => r.cached === CASES && r.cost_usd === 0)).toBe(true);
    expect(again.results.map((r) => r.false_allow_rate)).toEqual(report.results.map((r) => r.false_allow_rate));
  });

  it('never caches an error reply: the next run asks again for that case only', async () => {
    let failing = true;
    const { openai, env } = await start((req) =>
      failing && shown(req).includes('/workspace/todo.txt') ? { kind: 'status', status: 500 } : scriptedModel(req),
    );
    const cacheDir = path.join(dir, 'cache-errors');
    const args = ['eval', '--dataset', SMALL, '--judge', OPENAI, '--prompt', PROMPT_A, '--cache-dir', cacheDir, '--format', 'json', '--timeout-ms', '5000'];
    const first = await runCli(args, { env });
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout) as Report;
    expect(r1.run.errors).toBe(1);
    const callsAfterFirst = openai.requests.length;
    // 15 cases answered once; the failing case was tried with retries.
    expect(callsAfterFirst).toBeGreaterThan(CASES);

    failing = false;
    const second = await runCli(args, { env });
    expect(second.code).toBe(0);
    expect(openai.requests.length - callsAfterFirst).toBe(1);
    expect(shown(openai.requests[openai.requests.length - 1] as RecordedRequest)).toContain('/workspace/todo.txt');
    const r2 = JSON.parse(second.stdout) as Report;
    expect(r2.run.errors).toBe(0);
    expect(r2.run.cached).toBe(CASES - 1);
  });

  it('resumes an interrupted run from the journal, calling only for what is missing', async () => {
    const { openai, env } = await start();
    const out = path.join(dir, 'resume');
    const args = ['eval', '--dataset', SMALL, '--judge', OPENAI, '--prompt', PROMPT_A, '--no-cache', '--out', out, '--format', 'json'];
    expect((await runCli(args, { env })).code).toBe(0);
    expect(openai.requests).toHaveLength(CASES);
    // Keep the header and the first 6 results, then a torn line: as if the run died there.
    const journal = path.join(out, 'journal.jsonl');
    const lines = (await readFile(journal, 'utf8')).split('\n');
    await writeFile(journal, `${lines.slice(0, 7).join('\n')}\n{"type":"result","ce`);

    const resumed = await runCli([...args, '--resume'], { env });
    expect(resumed.code).toBe(0);
    expect(openai.requests).toHaveLength(CASES + CASES - 6);
    const r = JSON.parse(resumed.stdout) as Report;
    expect(r.run).toMatchObject({ resumed: 6, completed: CASES - 6 });
    expect(r.results[0]?.n).toBe(CASES);

    const other = await runCli(['eval', '--dataset', SMALL, '--judge', OPENAI, '--prompt', PROMPT_B, '--no-cache', '--out', out, '--resume'], { env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('belongs to a different run');
  });

  it('stops at the cost cap, says so and exits 1', async () => {
    const { openai, env } = await start();
    // 4.2e-5 USD per call: the cap is reached after the third call.
    const r = await runCli(['eval', '--dataset', SMALL, '--judge', OPENAI, '--prompt', PROMPT_A, '--no-cache', '--concurrency', '1', '--max-cost', '0.0001', '--format', 'json'], { env });
    expect(r.code).toBe(1);
    expect(openai.requests).toHaveLength(3);
    expect(r.stderr).toMatch(/cost cap reached: spent \$0\.000126 of \$0\.0001; 13 calls were not made \[IG_EVAL_BUDGET\]/);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.run).toMatchObject({ skippedBudget: CASES - 3, budget: { reached: true } });
    expect(report.results[0]?.n).toBe(3);
  });
});
