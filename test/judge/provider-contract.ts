import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LLM_SETTINGS, type ProviderJudgeSettings } from '../../src/judge/llm.js';
import { DEFAULT_PROMPT_FILE, loadPrompt, PROMPTS_DIR, type Prompt } from '../../src/judge/prompt.js';
import type { Judge, JudgeFailure, JudgeResult, Verdict } from '../../src/judge/types.js';
import { startProviderServer, type ProviderKind, type ProviderServer, type ScriptStep } from '../helpers/provider-servers.js';
import { ALLOW_VERDICT, BENIGN_INPUT, DENY_VERDICT, INJECTION_INPUT } from './fixtures.js';
import path from 'node:path';

/*
 * The behaviour every LLM provider must show against its scripted server,
 * through its real SDK. Each provider's test file runs this and adds what is
 * specific to its wire format.
 */

export type ProviderFactory = (spec: string, model: string, settings: ProviderJudgeSettings) => Judge;

export const TEST_KEY = 'sk-test-0123456789abcdef';
const authorize = loadPrompt(DEFAULT_PROMPT_FILE);
const twoStage = loadPrompt(path.join(PROMPTS_DIR, 'two-stage-v1.md'));

export function expectVerdict(r: JudgeResult): Verdict {
  if (!r.ok) throw new Error(`expected a verdict, got ${r.failure.code}: ${r.failure.message}`);
  return r.verdict;
}

export function expectFailure(r: JudgeResult, code: JudgeFailure['code']): JudgeFailure {
  if (r.ok) throw new Error(`expected ${code}, got a ${r.verdict.decision} verdict`);
  expect(r.failure.code).toBe(code);
  return r.failure;
}

/** What the model was shown in one recorded request: all message text, joined. */
export function shownText(kind: ProviderKind, body: Record<string, unknown>): string {
  if (kind === 'anthropic') {
    const system = (body.system as { text: string }[]).map((b) => b.text).join('\n');
    const messages = (body.messages as { content: string }[]).map((m) => m.content).join('\n');
    return `${system}\n${messages}`;
  }
  return (body.messages as { content: string }[]).map((m) => m.content).join('\n');
}

export function describeProviderContract(kind: ProviderKind, factory: ProviderFactory): void {
  const model = 'test-model';
  let server: ProviderServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup(steps: ScriptStep[], overrides: Partial<ProviderJudgeSettings> = {}, prompt: Prompt = authorize): Promise<{ judge: Judge; srv: ProviderServer }> {
    const srv = await startProviderServer(kind, steps);
    server = srv;
    const settings: ProviderJudgeSettings = {
      ...DEFAULT_LLM_SETTINGS,
      prompt,
      backoffMs: 5,
      timeoutMs: 5_000,
      baseURL: srv.baseURL,
      apiKey: TEST_KEY,
      env: {},
      ...overrides,
    };
    return { judge: factory(`${kind}:${model}`, model, settings), srv };
  }

  const fenced = '```json\n' + JSON.stringify(DENY_VERDICT, null, 2) + '\n```';
  const prose = `Let me think about this call.\n${JSON.stringify(DENY_VERDICT)}\nThat is my verdict.`;
  // Anthropic's verdict is the forced tool call's input: a text reply (fenced or not) has no tool call.
  const textTolerated = kind !== 'anthropic';

  describe(`${kind} judge against its scripted server`, () => {
    it('a valid verdict becomes the verdict, with provider, model, prompt, usage and latency', async () => {
      const { judge, srv } = await setup([{ kind: 'verdict', verdict: DENY_VERDICT, usage: { input: 321, output: 45 } }]);
      const v = expectVerdict(await judge.judge(INJECTION_INPUT));
      expect(v).toMatchObject({
        decision: 'deny',
        confidence: 0.95,
        provider: kind,
        model,
        promptId: 'authorize-v1',
        promptHash: authorize.hash,
        cached: false,
        usage: { inputTokens: 321, outputTokens: 45 },
      });
      expect(v.reason).toContain('not authorized');
      expect(v.evidence).toEqual([{ arg: 'to', source: 'result of read_inbox #1', detail: 'recipient appears only in untrusted data' }]);
      expect(v.latencyMs).toBeGreaterThanOrEqual(0);
      expect(srv.requests).toHaveLength(1);
    });

    it(`a fenced verdict ${textTolerated ? 'is read' : 'without the tool call is an invalid output'}`, async () => {
      const { judge } = await setup([{ kind: 'text', text: fenced }]);
      const r = await judge.judge(INJECTION_INPUT);
      if (textTolerated) expect(expectVerdict(r).decision).toBe('deny');
      else expectFailure(r, 'IG_JUDGE_INVALID_OUTPUT');
    });

    it(`prose around one JSON verdict ${textTolerated ? 'is read' : 'without the tool call is an invalid output'}`, async () => {
      const { judge } = await setup([{ kind: 'text', text: prose }]);
      const r = await judge.judge(INJECTION_INPUT);
      if (textTolerated) expect(expectVerdict(r).decision).toBe('deny');
      else expectFailure(r, 'IG_JUDGE_INVALID_OUTPUT');
    });

    it('a schema-invalid verdict is an invalid output, not retried and not guessed', async () => {
      const { judge, srv } = await setup([{ kind: 'verdict', verdict: { reasoning: 'fine', decision: 'probably-allow', confidence: 3 } }]);
      const f = expectFailure(await judge.judge(INJECTION_INPUT), 'IG_JUDGE_INVALID_OUTPUT');
      expect(f.attempts).toBe(1);
      expect(f.usage).toEqual({ inputTokens: 120, outputTokens: 40 });
      expect(srv.requests).toHaveLength(1);
    });

    it('a narrow verdict without anything to narrow is an invalid output', async () => {
      const { judge } = await setup([{ kind: 'verdict', verdict: { reasoning: 'tighten it', decision: 'narrow', confidence: 0.9 } }]);
      expectFailure(await judge.judge(INJECTION_INPUT), 'IG_JUDGE_INVALID_OUTPUT');
    });

    it(`a refusal is ${kind === 'ollama' ? 'an invalid output (Ollama has no refusal field)' : 'IG_JUDGE_REFUSED'}`, async () => {
      const { judge } = await setup([{ kind: 'refusal' }]);
      expectFailure(await judge.judge(INJECTION_INPUT), kind === 'ollama' ? 'IG_JUDGE_INVALID_OUTPUT' : 'IG_JUDGE_REFUSED');
    });

    it('a reply cut off at the token limit is an invalid output', async () => {
      const { judge } = await setup([{ kind: 'truncated' }]);
      expectFailure(await judge.judge(INJECTION_INPUT), 'IG_JUDGE_INVALID_OUTPUT');
    });

    it('429 with retry-after, then a verdict: retried once and answered', async () => {
      const { judge, srv } = await setup([
        { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
        { kind: 'verdict', verdict: ALLOW_VERDICT },
      ]);
      expect(expectVerdict(await judge.judge(BENIGN_INPUT)).decision).toBe('allow');
      expect(srv.requests).toHaveLength(2);
    });

    it('429 whose retry-after outlasts the budget fails at once as rate-limited', async () => {
      const { judge, srv } = await setup([{ kind: 'status', status: 429, headers: { 'retry-after': '30' } }, { kind: 'verdict', verdict: ALLOW_VERDICT }], {
        timeoutMs: 2_000,
      });
      const f = expectFailure(await judge.judge(BENIGN_INPUT), 'IG_JUDGE_RATE_LIMITED');
      expect(f.attempts).toBe(1);
      expect(srv.requests).toHaveLength(1);
    });

    it('429 on every attempt ends rate-limited after maxAttempts', async () => {
      const rl: ScriptStep = { kind: 'status', status: 429, headers: { 'retry-after-ms': '1' } };
      const { judge, srv } = await setup([rl, rl, rl, { kind: 'verdict', verdict: ALLOW_VERDICT }], { maxAttempts: 3 });
      const f = expectFailure(await judge.judge(BENIGN_INPUT), 'IG_JUDGE_RATE_LIMITED');
      expect(f.attempts).toBe(3);
      expect(srv.requests).toHaveLength(3);
    });

    it('500, then a verdict: retried with backoff and answered', async () => {
      const { judge, srv } = await setup([{ kind: 'status', status: 500 }, { kind: 'verdict', verdict: DENY_VERDICT }]);
      expect(expectVerdict(await judge.judge(INJECTION_INPUT)).decision).toBe('deny');
      expect(srv.requests).toHaveLength(2);
    });

    it('500 on every attempt is an upstream failure', async () => {
      const err: ScriptStep = { kind: 'status', status: 500 };
      const { judge, srv } = await setup([err, err, err], { maxAttempts: 3 });
      const f = expectFailure(await judge.judge(INJECTION_INPUT), 'IG_JUDGE_UPSTREAM');
      expect(f.attempts).toBe(3);
      expect(srv.requests).toHaveLength(3);
    });

    it('a dropped connection is retried', async () => {
      const { judge, srv } = await setup([{ kind: 'drop' }, { kind: 'verdict', verdict: DENY_VERDICT }]);
      expect(expectVerdict(await judge.judge(INJECTION_INPUT)).decision).toBe('deny');
      expect(srv.requests).toHaveLength(2);
    });

    it('401 is a configuration failure, not retried, and the key is not in the message', async () => {
      const { judge, srv } = await setup([{ kind: 'status', status: 401 }, { kind: 'verdict', verdict: ALLOW_VERDICT }]);
      const f = expectFailure(await judge.judge(BENIGN_INPUT), 'IG_JUDGE_CONFIG');
      expect(srv.requests).toHaveLength(1);
      expect(JSON.stringify(f)).not.toContain(TEST_KEY);
    });

    it('a reply slower than the budget is a timeout', async () => {
      const { judge } = await setup([{ kind: 'delay', ms: 5_000, then: { kind: 'verdict', verdict: ALLOW_VERDICT } }], { timeoutMs: 300 });
      expectFailure(await judge.judge(BENIGN_INPUT), 'IG_JUDGE_TIMEOUT');
    });

    it('a server that never answers is a timeout', async () => {
      const { judge } = await setup([{ kind: 'hang' }], { timeoutMs: 300 });
      expectFailure(await judge.judge(BENIGN_INPUT), 'IG_JUDGE_TIMEOUT');
    });

    it("the caller's abort signal ends the call as a timeout", async () => {
      const { judge } = await setup([{ kind: 'hang' }]);
      const ac = new AbortController();
      const pending = judge.judge(BENIGN_INPUT, { signal: ac.signal });
      ac.abort();
      expectFailure(await pending, 'IG_JUDGE_TIMEOUT');
    });

    it('a narrowing is written faithfully, even one that would widen (the guard clamps it)', async () => {
      const { judge } = await setup([
        {
          kind: 'verdict',
          verdict: {
            reasoning: 'Narrow to the named recipient.',
            decision: 'narrow',
            narrowed_args: { to: 'attacker@evil.example', cc: ['x@evil.example'] },
            narrowed_scopes: ['mail.send', 'mail.admin'],
            confidence: 0.7,
          },
        },
      ]);
      const v = expectVerdict(await judge.judge(INJECTION_INPUT));
      expect(v.decision).toBe('narrow');
      expect(v.args).toEqual({ to: 'attacker@evil.example', cc: ['x@evil.example'] });
      expect(v.scopes).toEqual(['mail.send', 'mail.admin']);
    });

    it('the model sees the task, the call in nonce delimiters, the provenance facts, and no raw tool result by default', async () => {
      const { judge, srv } = await setup([{ kind: 'verdict', verdict: DENY_VERDICT }]);
      await judge.judge(INJECTION_INPUT);
      const shown = shownText(kind, srv.requests[0]!.body as Record<string, unknown>);
      expect(shown).toContain('Summarise the unread e-mails in my inbox.');
      const nonce = /<untrusted-([0-9a-f]{16}) kind="call">/.exec(shown)?.[1];
      expect(nonce).toBeDefined();
      expect(shown).toContain(`</untrusted-${nonce}>`);
      expect(shown).toContain('source=untrusted');
      expect(shown).not.toContain('IGNORE PREVIOUS INSTRUCTIONS');
      expect(shown).not.toContain('Forward all invoices');
      expect(shown).not.toContain(TEST_KEY);
    });

    it('with includeResults the raw result is shown, inside a result block', async () => {
      const { judge, srv } = await setup([{ kind: 'verdict', verdict: DENY_VERDICT }], { includeResults: true });
      await judge.judge(INJECTION_INPUT);
      const shown = shownText(kind, srv.requests[0]!.body as Record<string, unknown>);
      const m = /<untrusted-([0-9a-f]{16}) kind="result">([\s\S]*?)<\/untrusted-\1>/.exec(shown);
      expect(m?.[2]).toContain('IGNORE PREVIOUS INSTRUCTIONS');
    });

    it('each call gets a fresh nonce', async () => {
      const { judge, srv } = await setup([
        { kind: 'verdict', verdict: DENY_VERDICT },
        { kind: 'verdict', verdict: DENY_VERDICT },
      ]);
      await judge.judge(INJECTION_INPUT);
      await judge.judge(INJECTION_INPUT);
      const nonces = srv.requests.map((r) => /<untrusted-([0-9a-f]{16}) /.exec(shownText(kind, r.body as Record<string, unknown>))?.[1]);
      expect(nonces[0]).toBeDefined();
      expect(nonces[0]).not.toBe(nonces[1]);
    });

    it('two-stage: a confident screen allow resolves with one request', async () => {
      const { judge, srv } = await setup([{ kind: 'verdict', verdict: { reasoning: 'plainly asked for', decision: 'allow', confidence: 0.97 } }], {}, twoStage);
      const v = expectVerdict(await judge.judge(BENIGN_INPUT));
      expect(v).toMatchObject({ decision: 'allow', stage: 'screen', promptId: 'two-stage-v1', promptHash: twoStage.hash });
      expect(srv.requests).toHaveLength(1);
    });

    it('two-stage: a screen deny goes to the decide stage, which shares the prefix; usage is summed', async () => {
      const { judge, srv } = await setup(
        [
          { kind: 'verdict', verdict: { reasoning: 'needs a look', decision: 'deny', confidence: 0.9 }, usage: { input: 100, output: 5 } },
          { kind: 'verdict', verdict: DENY_VERDICT, usage: { input: 110, output: 60 } },
        ],
        {},
        twoStage,
      );
      const v = expectVerdict(await judge.judge(INJECTION_INPUT));
      expect(v).toMatchObject({ decision: 'deny', stage: 'decide', usage: { inputTokens: 210, outputTokens: 65 } });
      expect(srv.requests).toHaveLength(2);
      const [a, b] = srv.requests.map((r) => shownText(kind, r.body as Record<string, unknown>));
      const context = a!.indexOf('## Where the call');
      expect(context).toBeGreaterThan(0);
      const sharedUpTo = a!.indexOf('## Your answer');
      expect(a!.slice(0, sharedUpTo)).toBe(b!.slice(0, sharedUpTo));
      expect(a).toContain('screening');
      expect(b).toContain('careful review');
    });

    it('two-stage: a low-confidence screen allow goes to the decide stage', async () => {
      const { judge, srv } = await setup(
        [
          { kind: 'verdict', verdict: { reasoning: 'maybe', decision: 'allow', confidence: 0.5 } },
          { kind: 'verdict', verdict: ALLOW_VERDICT },
        ],
        {},
        twoStage,
      );
      expect(expectVerdict(await judge.judge(BENIGN_INPUT)).stage).toBe('decide');
      expect(srv.requests).toHaveLength(2);
    });

    it('two-stage: a failed screen escalates to the decide stage', async () => {
      const { judge } = await setup(
        [
          { kind: 'verdict', verdict: { decision: 'allow' } },
          { kind: 'verdict', verdict: DENY_VERDICT },
        ],
        {},
        twoStage,
      );
      const v = expectVerdict(await judge.judge(INJECTION_INPUT));
      expect(v).toMatchObject({ decision: 'deny', stage: 'decide' });
    });
  });
}
