import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LLM_SETTINGS } from '../../src/judge/llm.js';
import { createOllamaJudge } from '../../src/judge/ollama.js';
import { DEFAULT_PROMPT_FILE, loadPrompt } from '../../src/judge/prompt.js';
import { VERDICT_PROPERTY_ORDER } from '../../src/judge/verdict.js';
import { startOllamaServer, type ProviderServer } from '../helpers/provider-servers.js';
import { DENY_VERDICT, INJECTION_INPUT } from './fixtures.js';
import { describeProviderContract, expectVerdict } from './provider-contract.js';

describeProviderContract('ollama', createOllamaJudge);

describe('ollama wire format', () => {
  const prompt = loadPrompt(DEFAULT_PROMPT_FILE);
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('posts /api/chat with stream false and the verdict schema as format; host from OLLAMA_HOST', async () => {
    server = await startOllamaServer([{ kind: 'verdict', verdict: DENY_VERDICT }]);
    const judge = createOllamaJudge('ollama:llama3.1:8b', 'llama3.1:8b', { ...DEFAULT_LLM_SETTINGS, prompt, env: { OLLAMA_HOST: server.url } });
    expectVerdict(await judge.judge(INJECTION_INPUT));
    const req = server.requests[0]!;
    expect(req.path).toBe('/api/chat');
    expect(req.body.model).toBe('llama3.1:8b');
    expect(req.body.stream).toBe(false);
    expect(Object.keys(req.body.format.properties)).toEqual([...VERDICT_PROPERTY_ORDER]);
    expect(req.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
  });
});
