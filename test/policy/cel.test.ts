import { describe, expect, it } from 'vitest';
import { IntentguardError } from '../../src/errors.js';
import { CelCompiler, celActivation } from '../../src/policy/cel.js';

const where = { file: 'p.yaml', line: 7, rule: 'r1' };

function activation(args: Record<string, unknown> = {}, extra: { untrustedSeen?: boolean; calls?: number; groups?: string[] } = {}) {
  return celActivation({
    server: 'filesystem',
    tool: 'read_text_file',
    args,
    principal: { agent: 'coder', user: 'alice', groups: extra.groups ?? ['dev'] },
    session: { id: 's1', calls: extra.calls ?? 3, denials: 0, untrustedSeen: extra.untrustedSeen ?? false, tags: ['t'] },
  });
}

function compileError(expr: string): IntentguardError {
  try {
    new CelCompiler().compile(expr, where);
  } catch (e) {
    expect(e).toBeInstanceOf(IntentguardError);
    return e as IntentguardError;
  }
  throw new IntentguardError('IG_INTERNAL', `expected ${expr} to be refused`);
}

describe('CelCompiler', () => {
  it('evaluates conditions over every declared variable', () => {
    const c = new CelCompiler();
    const cond = c.compile(
      'server == "filesystem" && tool.startsWith("read_") && args.path.startsWith("/workspace") && principal.agent == "coder" && "dev" in principal.groups && session.calls > 2 && !session.untrustedSeen && "t" in session.tags && session.id == "s1"',
      where,
    );
    expect(cond.evaluate(activation({ path: '/workspace/a' }))).toBe(true);
    expect(cond.evaluate(activation({ path: '/etc/passwd' }))).toBe(false);
    expect(cond.evaluate(activation({ path: '/workspace/a' }, { calls: 1 }))).toBe(false);
  });

  it('compares JSON numbers with integer and double literals', () => {
    const cond = new CelCompiler().compile('args.amount > 100 && args.amount <= 1000.5', where);
    expect(cond.evaluate(activation({ amount: 150 }))).toBe(true);
    expect(cond.evaluate(activation({ amount: 99.5 }))).toBe(false);
  });

  it('treats a missing principal id as the empty string', () => {
    const cond = new CelCompiler().compile('principal.user == ""', where);
    const a = celActivation({ server: 's', tool: 't', args: {}, principal: {}, session: { id: 'x', calls: 0, denials: 0, untrustedSeen: false, tags: [] } });
    expect(cond.evaluate(a)).toBe(true);
  });

  it('runs re2Match with RE2 and unanchored search semantics', () => {
    const cond = new CelCompiler().compile('args.path.re2Match(r"(^|/)\\.ssh/")', where);
    expect(cond.evaluate(activation({ path: '/home/u/.ssh/id_rsa' }))).toBe(true);
    expect(cond.evaluate(activation({ path: '/home/u/ssh/id_rsa' }))).toBe(false);
  });

  it('throws IG_CEL_EVAL at runtime for a missing key or a wrong type, never a bare error', () => {
    const cond = new CelCompiler().compile('args.amount > 100', where);
    expect(() => cond.evaluate(activation({}))).toThrow(expect.objectContaining({ code: 'IG_CEL_EVAL' }));
    expect(() => cond.evaluate(activation({ amount: 'lots' }))).toThrow(expect.objectContaining({ code: 'IG_CEL_EVAL' }));
  });

  it('keeps patterns of one compiler out of another', () => {
    const a = new CelCompiler();
    a.compile('args.x.re2Match("abc")', where);
    const b = new CelCompiler();
    const cond = b.compile('args.x.re2Match("xyz")', where);
    expect(cond.evaluate(activation({ x: 'xyz' }))).toBe(true);
  });
});

describe('CelCompiler refuses at load', () => {
  it.each([
    ['args.x +', 'IG_CEL_INVALID', /does not parse/],
    ['tool + 1 == 2', 'IG_CEL_INVALID', /does not type-check/],
    ['nosuchvar == 1', 'IG_CEL_INVALID', /does not type-check/],
    ['principal.role == "admin"', 'IG_CEL_INVALID', /does not type-check/],
    ['session.calls == "3"', 'IG_CEL_INVALID', /does not type-check/],
    ['tool', 'IG_CEL_INVALID', /must be bool/],
    ['args.flag', 'IG_CEL_INVALID', /must be bool/],
    ['args.p.matches("a")', 'IG_REGEX_UNSAFE', /matches\(\) runs a backtracking/],
    ['matches(args.p, "a")', 'IG_REGEX_UNSAFE', /matches\(\) runs a backtracking/],
    ['args.p.re2Match(args.q)', 'IG_REGEX_UNSAFE', /string literal/],
    ['args.p.re2Match("(a+)+$")', 'IG_REGEX_UNSAFE', /repeats a group/],
    ['args.p.re2Match("(a)\\\\1")', 'IG_REGEX_UNSAFE', /RE2/],
  ])('%s → %s', (expr, code, message) => {
    const e = compileError(expr);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(e.location).toEqual(where);
    expect(e.describe()).toContain('p.yaml:7: rule r1:');
  });

  it('enforces the structural limits', () => {
    expect(compileError(Array.from({ length: 200 }, (_, i) => `args.a${i} == 1`).join(' || ')).message).toMatch(/maxAstNodes/);
    expect(compileError(`${'('.repeat(40)}true${')'.repeat(40)}`).message).toMatch(/maxDepth/);
    expect(compileError(`args.x in [${Array.from({ length: 80 }, (_, i) => i).join(', ')}]`).message).toMatch(/maxListElements/);
  });

  it('bounds nested macros, which multiply work over caller-controlled lists', () => {
    new CelCompiler().compile('args.a.exists(x, args.b.exists(y, x == y))', where);
    const e = compileError('args.a.exists(x, args.b.exists(y, args.c.exists(z, x == y && y == z)))');
    expect(e.message).toMatch(/nested at most 2/);
  });
});
