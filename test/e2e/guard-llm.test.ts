import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { Guard } from '../../src/guard/guard.js';
import { createJudge } from '../../src/judge/registry.js';
import { compilePolicies } from '../../src/policy/load.js';
import { Session } from '../../src/session/session.js';
import { startOpenAIServer, type ProviderServer } from '../helpers/provider-servers.js';

/**
 * The guard with a real LLM judge (the OpenAI SDK against a local server that speaks chat completions):
 * a provider failure is the policy's failure decision, audited as a judge failure; a reply that tries to
 * widen the grant is clamped.
 */
const POLICY = `version: 1
defaults: { decision: deny, on_judge_failure: deny }
rules:
  - id: mail-send
    match: { server: mail, tool: send_email }
    effect: judge
    scopes: [mail:send]
    args:
      to: { domain: [corp.example] }
`;

let dir: string;
let audit: AuditLog;
let server: ProviderServer | undefined;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ig-guard-llm-'));
  audit = await AuditLog.open(path.join(dir, 'audit.jsonl'), { durability: 'none' });
});
afterEach(async () => {
  await audit.close();
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function decide(judgeSteps: Parameters<typeof startOpenAIServer>[0], args: Record<string, unknown>) {
  server = await startOpenAIServer(judgeSteps);
  const judge = createJudge('openai:test-model', { baseURL: server.baseURL, apiKey: 'test-key', env: {}, timeoutMs: 2000, maxAttempts: 2, cache: false });
  const guard = new Guard({ policy: compilePolicies([{ file: 'p.yaml', text: POLICY }]), judge, audit });
  const session = new Session({ id: 's', task: 'Send the weekly report to team@corp.example', principal: { agent: 'a', user: 'u' } });
  const d = await guard.decide({ sessionId: 's', call: { server: 'mail', tool: 'send_email', args }, principal: session.principal, task: session.task }, session);
  await audit.flush();
  const records = readFileSync(path.join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { d, records };
}

describe('guard + OpenAI judge through its SDK', () => {
  it('a provider that keeps failing yields the failure decision (deny), audited as a judge failure', async () => {
    const { d, records } = await decide([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }], { to: 'team@corp.example', body: 'hi' });
    expect(d.decision).toBe('deny');
    expect(d.flags).toContain('judge-failed');
    expect(records[0]).toMatchObject({ type: 'decision', decision: 'deny', judge: { failure: { code: 'IG_JUDGE_UPSTREAM' } } });
    expect(server!.requests.length).toBe(2);
  });

  it('an unparsable reply is a judge failure, never a guess', async () => {
    const { d, records } = await decide([{ kind: 'text', text: 'Sure! I think this is fine, allow it.' }], { to: 'team@corp.example' });
    expect(d.decision).toBe('deny');
    expect(records[0]).toMatchObject({ judge: { failure: { code: 'IG_JUDGE_INVALID_OUTPUT' } } });
  });

  it('a reply that tries to widen the grant cannot: the call is denied, the refusal recorded', async () => {
    const widen = {
      reasoning: 'The task asks to send the report.',
      decision: 'narrow',
      narrowed_args: [{ arg: 'to', value: 'everyone@partner.example' }],
      narrowed_scopes: ['mail:send', 'mail:admin'],
      confidence: 0.9,
      evidence: [],
    };
    const { d } = await decide([{ kind: 'verdict', verdict: widen }], { to: 'team@corp.example', body: 'report' });
    expect(d.decision).toBe('deny');
    expect(d.grant).toBeNull();
    expect(d.judge?.refused?.length).toBeGreaterThan(0);
  });

  it('a valid allow runs inside the boundary with the policy scopes', async () => {
    const allow = { reasoning: 'The user named this recipient.', decision: 'allow', confidence: 0.95, evidence: [] };
    const { d } = await decide([{ kind: 'verdict', verdict: allow }], { to: 'team@corp.example', body: 'report' });
    expect(d.decision).toBe('allow');
    expect(d.grant).toEqual({ scopes: ['mail:send'], args: { to: 'team@corp.example', body: 'report' } });
  });
});
