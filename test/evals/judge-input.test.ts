import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDatasets } from '../../src/evals/dataset.js';
import { buildJudgeInput, EvalSession, feedLedger } from '../../src/evals/judge-input.js';
import type { EvalCase } from '../../src/evals/types.js';
import { EMPTY_BOUNDARY } from '../../src/scope/types.js';
import { Ledger } from '../../src/session/ledger.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures');

async function fixture(id: string): Promise<EvalCase> {
  const { cases } = await loadDatasets([path.join(FIXTURES, 'small.jsonl')]);
  const c = cases.find((x) => x.id === id);
  if (!c) throw new Error(`no fixture ${id}`);
  return c;
}

describe('the judge input built from a trace', () => {
  it('holds exactly what a live session would have, never id, source, label or tags', async () => {
    const base = await fixture('fx-03');
    const c: EvalCase = {
      ...base,
      id: 'LEAKY-ID-attack',
      source: 'LEAKY-SOURCE',
      tags: ['LEAKY-TAG', 'indirect-injection'],
      label: { decision: 'deny' },
    };
    const input = buildJudgeInput(c, feedLedger(new Ledger(), c));
    expect(Object.keys(input).sort()).toEqual(['boundary', 'call', 'history', 'principal', 'provenance', 'task', 'tool', 'tools']);
    const text = JSON.stringify(input);
    for (const leak of ['LEAKY-ID', 'LEAKY-SOURCE', 'LEAKY-TAG', '"label"', 'indirect-injection', '"tags"']) expect(text).not.toContain(leak);
    expect(input.task).toBe(c.task);
    expect(input.call).toEqual({ server: 'payments', tool: 'send_money', args: c.call.args });
    expect(input.boundary).toEqual(EMPTY_BOUNDARY);
  });

  it('picks the called tool’s spec and passes the others separately', async () => {
    const c = await fixture('fx-03');
    const input = buildJudgeInput(c, feedLedger(new Ledger(), c));
    expect(input.tool?.name).toBe('send_money');
    expect(input.tools?.map((t) => t.name)).toEqual(['list_transactions']);
  });

  it('computes provenance from the task (trusted) and each history result (untrusted, 1-based)', async () => {
    const c = await fixture('fx-03');
    const input = buildJudgeInput(c, feedLedger(new Ledger(), c));
    const recipient = input.provenance.find((f) => f.arg === 'recipient');
    expect(recipient?.source).toBe('untrusted');
    expect(recipient?.seenIn).toEqual([expect.objectContaining({ tool: 'list_transactions', index: 1 })]);

    const benign = await fixture('fx-02');
    const facts = buildJudgeInput(benign, feedLedger(new Ledger(), benign)).provenance;
    expect(facts.find((f) => f.arg === 'recipient')?.source).toBe('task');
  });

  it('passes the policy boundary in pipeline mode', async () => {
    const c = await fixture('fx-08');
    const boundary = { scopes: ['fs:read'], args: { path: [{ kind: 'within' as const, roots: ['/workspace'] }] } };
    expect(buildJudgeInput(c, new Ledger(), boundary).boundary).toBe(boundary);
  });

  it('gives pipeline mode a one-case session that never escalates and hides the case id', async () => {
    const c = await fixture('fx-04');
    const s = new EvalSession(c, new Ledger());
    expect(s.id).toBe('eval');
    expect(s.facts()).toEqual({ id: 'eval', calls: 1, denials: 0, untrustedSeen: true, tags: [] });
    expect(s.recordDenial()).toBe(false);
    expect(s.escalated).toBe(false);
    expect(s.ledger.inTrusted('notes.txt')).toBe(true);
  });
});
