import { afterEach, describe, expect, it } from 'vitest';
import { IntentguardError } from '../../src/errors.js';
import { DEFAULT_LLM_SETTINGS } from '../../src/judge/llm.js';
import { createOpenAIJudge } from '../../src/judge/openai.js';
import { DEFAULT_PROMPT_FILE, loadPrompt } from '../../src/judge/prompt.js';
import { VERDICT_PROPERTY_ORDER } from '../../src/judge/verdict.js';
import { startOpenAIServer, type ProviderServer } from '../helpers/provider-servers.js';
import { DENY_VERDICT, INJECTION_INPUT } from './fixtures.js';
import { describeProviderContract, expectVerdict, TEST_KEY } from './provider-contract.js';

describeProviderContract('openai', createOpenAIJudge);

describe('openai wire format', () => {
  const prompt = loadPrompt(DEFAULT_PROMPT_FILE);
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends a strict json_schema response format, reasoning first, the key as a bearer token, and no SDK retries', async () => {
    server = await startOpenAIServer([{ kind: 'verdict', verdict: DENY_VERDICT }]);
    const judge = createOpenAIJudge('openai:gpt-x', 'gpt-x', { ...DEFAULT_LLM_SETTINGS, prompt, baseURL: server.baseURL, apiKey: TEST_KEY, env: {} });
    expectVerdict(await judge.judge(INJECTION_INPUT));
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(req.headers['x-stainless-retry-count']).toBe('0');
    expect(req.body.model).toBe('gpt-x');
    expect(req.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    const rf = req.body.response_format;
    expect(rf.type).toBe('json_schema');
    expect(rf.json_schema.strict).toBe(true);
    expect(Object.keys(rf.json_schema.schema.properties)).toEqual([...VERDICT_PROPERTY_ORDER]);
    expect(rf.json_schema.schema.additionalProperties).toBe(false);
  });

  it('reads OPENAI_BASE_URL and OPENAI_API_KEY from the given environment', async () => {
    server = await startOpenAIServer([{ kind: 'verdict', verdict: DENY_VERDICT }]);
    const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-from-env' };
    const judge = createOpenAIJudge('openai:m', 'm', { ...DEFAULT_LLM_SETTINGS, prompt, env });
    expectVerdict(await judge.judge(INJECTION_INPUT));
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-from-env');
  });

  it('a self-hosted server needs no key; the hosted default does', () => {
    expect(() => createOpenAIJudge('openai:m', 'm', { ...DEFAULT_LLM_SETTINGS, prompt, env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } })).not.toThrow();
    let err: unknown;
    try {
      createOpenAIJudge('openai:m', 'm', { ...DEFAULT_LLM_SETTINGS, prompt, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IntentguardError);
    expect((err as IntentguardError).code).toBe('IG_JUDGE_CONFIG');
  });
});
