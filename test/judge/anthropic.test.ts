import { afterEach, describe, expect, it } from 'vitest';
import { createAnthropicJudge, VERDICT_TOOL_NAME } from '../../src/judge/anthropic.js';
import { DEFAULT_LLM_SETTINGS } from '../../src/judge/llm.js';
import { DEFAULT_PROMPT_FILE, loadPrompt } from '../../src/judge/prompt.js';
import { VERDICT_PROPERTY_ORDER } from '../../src/judge/verdict.js';
import { startAnthropicServer, type ProviderServer } from '../helpers/provider-servers.js';
import { DENY_VERDICT, INJECTION_INPUT } from './fixtures.js';
import { describeProviderContract, expectFailure, expectVerdict, TEST_KEY } from './provider-contract.js';

describeProviderContract('anthropic', createAnthropicJudge);

describe('anthropic wire format', () => {
  const prompt = loadPrompt(DEFAULT_PROMPT_FILE);
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const judgeFor = (srv: ProviderServer) =>
    createAnthropicJudge('anthropic:claude-x', 'claude-x', { ...DEFAULT_LLM_SETTINGS, prompt, baseURL: srv.baseURL, apiKey: TEST_KEY, env: {} });

  it('forces the record_verdict tool whose input schema is the verdict schema, reasoning first', async () => {
    server = await startAnthropicServer([{ kind: 'verdict', verdict: DENY_VERDICT }]);
    expectVerdict(await judgeFor(server).judge(INJECTION_INPUT));
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    // This SDK version sends the key as a bearer token; older ones used x-api-key.
    expect([req.headers['x-api-key'], req.headers.authorization]).toContain(req.headers['x-api-key'] === undefined ? `Bearer ${TEST_KEY}` : TEST_KEY);
    expect(req.headers['x-stainless-retry-count']).toBe('0');
    expect(req.body.tool_choice).toMatchObject({ type: 'tool', name: VERDICT_TOOL_NAME });
    expect(req.body.tools).toHaveLength(1);
    expect(req.body.tools[0].name).toBe(VERDICT_TOOL_NAME);
    expect(Object.keys(req.body.tools[0].input_schema.properties)).toEqual([...VERDICT_PROPERTY_ORDER]);
    expect(req.body.max_tokens).toBe(DEFAULT_LLM_SETTINGS.maxOutputTokens);
    expect(req.body.system[0].cache_control).toEqual({ type: 'ephemeral' });
  });

  it('two record_verdict calls in one reply are an invalid output', async () => {
    const use = (decision: string) => ({ type: 'tool_use', id: `t-${decision}`, name: VERDICT_TOOL_NAME, input: { ...DENY_VERDICT, decision } });
    server = await startAnthropicServer([
      {
        kind: 'raw',
        body: {
          id: 'msg',
          type: 'message',
          role: 'assistant',
          model: 'claude-x',
          content: [use('deny'), use('allow')],
          stop_reason: 'tool_use',
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      },
    ]);
    expectFailure(await judgeFor(server).judge(INJECTION_INPUT), 'IG_JUDGE_INVALID_OUTPUT');
  });

  it('a tool input with nested fields sent as JSON strings is still read', async () => {
    server = await startAnthropicServer([
      { kind: 'verdict', verdict: { reasoning: 'tighten', decision: 'narrow', narrowed_args: '{"limit": 10}', confidence: 0.8, evidence: '[]' } },
    ]);
    const v = expectVerdict(await judgeFor(server).judge(INJECTION_INPUT));
    expect(v.args).toEqual({ limit: 10 });
  });
});
