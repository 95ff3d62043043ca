import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IntentguardError } from '../../src/errors.js';
import { JudgeCache } from '../../src/judge/cache.js';
import { PROMPTS_DIR } from '../../src/judge/prompt.js';
import { createJudge, JUDGE_SPEC_FORMS, parseJudgeSpec } from '../../src/judge/registry.js';
import { startAnthropicServer, startOpenAIServer, type ProviderServer } from '../helpers/provider-servers.js';
import { ALLOW_VERDICT, BENIGN_INPUT, DENY_VERDICT, INJECTION_INPUT } from './fixtures.js';
import { expectVerdict } from './provider-contract.js';

function thrown(f: () => unknown): IntentguardError {
  try {
    f();
  } catch (e) {
    if (e instanceof IntentguardError) return e;
    throw e;
  }
  throw new Error('expected an IntentguardError');
}

describe('parseJudgeSpec', () => {
  it('parses every accepted form', () => {
    expect(parseJudgeSpec('offline')).toEqual({ kind: 'offline' });
    expect(parseJudgeSpec('openai:gpt-4o-mini')).toEqual({ kind: 'llm', provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseJudgeSpec('anthropic:claude-haiku-4-5')).toEqual({ kind: 'llm', provider: 'anthropic', model: 'claude-haiku-4-5' });
    expect(parseJudgeSpec('ollama:llama3.1:8b')).toEqual({ kind: 'llm', provider: 'ollama', model: 'llama3.1:8b' });
    expect(parseJudgeSpec('openai:meta-llama/Llama-3.1-8B-Instruct')).toMatchObject({ model: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(parseJudgeSpec('cascade:offline>openai:gpt-4o-mini')).toEqual({
      kind: 'cascade',
      stages: [{ kind: 'offline' }, { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini' }],
    });
    expect(parseJudgeSpec(' cascade:offline > ollama:qwen3:4b > anthropic:claude-x ')).toMatchObject({ kind: 'cascade', stages: [{}, {}, {}] });
  });

  const bad = ['', 'gpt-4o', 'openai', 'openai:', 'openai: spaced model', 'mistral:large', 'cascade:offline', 'cascade:a>b>c>d', 'cascade:offline>cascade:offline>openai:m', 'cascade:offline>bogus:x', 'x'.repeat(500)];
  for (const spec of bad) {
    it(`refuses ${JSON.stringify(spec.slice(0, 40))} with IG_JUDGE_UNKNOWN listing the accepted forms`, () => {
      const e = thrown(() => parseJudgeSpec(spec));
      expect(e.code).toBe('IG_JUDGE_UNKNOWN');
      expect(e.exitCode).toBe(2);
      for (const form of JUDGE_SPEC_FORMS) expect(e.message).toContain(form);
    });
  }
});

describe('createJudge', () => {
  const servers: ProviderServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('builds the offline judge without touching any provider or prompt', async () => {
    const judge = createJudge('offline', { promptFile: path.join(PROMPTS_DIR, 'does-not-exist.md') });
    expect(judge.spec).toBe('offline');
    const r = await judge.judge(INJECTION_INPUT);
    expect(r.ok ? r.verdict.provider : r.failure.provider).toBe('offline');
  });

  it('builds an LLM judge from the environment it is given, with the default prompt and a cache', async () => {
    const srv = await startOpenAIServer([{ kind: 'verdict', verdict: DENY_VERDICT }]);
    servers.push(srv);
    const cache = new JudgeCache();
    const judge = createJudge('openai:gpt-x', { env: { OPENAI_BASE_URL: srv.baseURL, OPENAI_API_KEY: 'k' }, cache });
    expect(judge.spec).toBe('openai:gpt-x');
    const first = expectVerdict(await judge.judge(INJECTION_INPUT));
    const second = expectVerdict(await judge.judge(INJECTION_INPUT));
    expect(first).toMatchObject({ promptId: 'authorize-v1', cached: false });
    expect(second.cached).toBe(true);
    expect(srv.requests).toHaveLength(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('cache: false calls the provider every time', async () => {
    const srv = await startOpenAIServer([{ kind: 'verdict', verdict: DENY_VERDICT }, { kind: 'verdict', verdict: DENY_VERDICT }]);
    servers.push(srv);
    const judge = createJudge('openai:gpt-x', { baseURL: srv.baseURL, apiKey: 'k', env: {}, cache: false });
    await judge.judge(INJECTION_INPUT);
    expect(expectVerdict(await judge.judge(INJECTION_INPUT)).cached).toBe(false);
    expect(srv.requests).toHaveLength(2);
  });

  it('runs the two-stage prompt as an alternative via promptFile', async () => {
    const srv = await startOpenAIServer([{ kind: 'verdict', verdict: { ...ALLOW_VERDICT, confidence: 0.99 } }]);
    servers.push(srv);
    const judge = createJudge('openai:gpt-x', { baseURL: srv.baseURL, apiKey: 'k', env: {}, promptFile: path.join(PROMPTS_DIR, 'two-stage-v1.md') });
    expect(expectVerdict(await judge.judge(BENIGN_INPUT))).toMatchObject({ promptId: 'two-stage-v1', stage: 'screen' });
  });

  it('a cascade escalates from a failing provider to the next, through the registry', async () => {
    const a = await startOpenAIServer([{ kind: 'status', status: 500 }]);
    const b = await startAnthropicServer([{ kind: 'verdict', verdict: DENY_VERDICT }]);
    servers.push(a, b);
    const env = { OPENAI_BASE_URL: a.baseURL, OPENAI_API_KEY: 'k', ANTHROPIC_BASE_URL: b.baseURL, ANTHROPIC_API_KEY: 'k' };
    const judge = createJudge('cascade:openai:a>anthropic:b', { env, maxAttempts: 1 });
    expect(judge.spec).toBe('cascade:openai:a>anthropic:b');
    expect(expectVerdict(await judge.judge(INJECTION_INPUT))).toMatchObject({ decision: 'deny', stage: 'anthropic:b', provider: 'anthropic' });
  });

  it('cascade:offline>LLM builds, with the offline judge first', () => {
    const judge = createJudge('cascade:offline>ollama:llama3.1:8b', { env: {} });
    expect(judge.spec).toBe('cascade:offline>ollama:llama3.1:8b');
  });

  it('refuses bad options with IG_JUDGE_CONFIG, and a missing hosted key', () => {
    expect(thrown(() => createJudge('offline', { timeoutMs: 0 })).code).toBe('IG_JUDGE_CONFIG');
    expect(thrown(() => createJudge('offline', { maxAttempts: 1.5 })).code).toBe('IG_JUDGE_CONFIG');
    expect(thrown(() => createJudge('offline', { cascadeThreshold: 2 })).code).toBe('IG_JUDGE_CONFIG');
    expect(thrown(() => createJudge('openai:m', { env: {}, prompt: undefined, promptFile: 'a.md', baseURL: 'http://127.0.0.1:9/v1' })).code).toBe('IG_PROMPT_INVALID');
    expect(thrown(() => createJudge('anthropic:m', { env: {} })).code).toBe('IG_JUDGE_CONFIG');
  });
});
