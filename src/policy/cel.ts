import { Environment } from '@marcbachmann/cel-js';
import type { ASTNode, Limits } from '@marcbachmann/cel-js';
import type { RE2JS } from 're2js';
import { IntentguardError } from '../errors.js';
import type { ErrorLocation } from '../errors.js';
import type { Principal, SessionFacts } from '../session/types.js';
import { admitPattern } from './regex.js';

/**
 * Our narrow interface to the CEL engine. Conditions are parsed and
 * type-checked once, when a policy loads; evaluation only walks the compiled
 * expression. The engine's own `matches()` runs JavaScript's backtracking
 * RegExp, so it is refused at load; `re2Match` takes its place, with the
 * pattern required to be a string literal admitted (and compiled) at load.
 */

/** Structural limits for conditions, checked at parse time. */
export const CEL_LIMITS: Readonly<Limits> = Object.freeze({
  maxAstNodes: 256,
  maxDepth: 24,
  maxListElements: 64,
  maxMapEntries: 32,
  maxCallArguments: 8,
});

/** Macros iterate over argument lists the caller controls; nesting them multiplies the work. */
const MAX_COMPREHENSION_NESTING = 2;
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** `principal` as conditions see it: missing ids are empty strings, missing groups an empty list. */
class PrincipalValue {
  readonly agent: string;
  readonly user: string;
  readonly groups: readonly string[];
  constructor(p: Principal) {
    this.agent = p.agent ?? '';
    this.user = p.user ?? '';
    this.groups = p.groups ?? [];
  }
}

function toCount(n: number): bigint {
  return Number.isFinite(n) && n > 0 ? BigInt(Math.trunc(n)) : 0n;
}

/** `session` as conditions see it (CEL integers are bigints). */
class SessionValue {
  readonly id: string;
  readonly calls: bigint;
  readonly denials: bigint;
  readonly untrustedSeen: boolean;
  readonly tags: readonly string[];
  constructor(s: SessionFacts) {
    this.id = s.id;
    this.calls = toCount(s.calls);
    this.denials = toCount(s.denials);
    this.untrustedSeen = s.untrustedSeen;
    this.tags = s.tags;
  }
}

/** The variables of one evaluation. Build it once per call, and only when some condition must run. */
export interface CelActivation {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: PrincipalValue;
  readonly session: SessionValue;
}

export function celActivation(input: {
  server: string;
  tool: string;
  args: Readonly<Record<string, unknown>>;
  principal: Principal;
  session: SessionFacts;
}): CelActivation {
  return {
    server: input.server,
    tool: input.tool,
    args: input.args,
    principal: new PrincipalValue(input.principal),
    session: new SessionValue(input.session),
  };
}

/** A compiled, type-checked condition. */
export interface CelCondition {
  readonly source: string;
  /** True or false; throws `IG_CEL_EVAL` when the expression fails on these values (missing key, wrong type). */
  evaluate(activation: CelActivation): boolean;
}

interface CelErrorLike {
  readonly summary?: string;
  readonly message: string;
  readonly range?: { readonly start: number };
}

function summaryOf(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const err = e as CelErrorLike;
    return err.summary ?? err.message.split('\n')[0] ?? 'error';
  }
  return String(e);
}

function columnOf(e: unknown): number | undefined {
  if (e && typeof e === 'object' && 'range' in e) {
    const r = (e as CelErrorLike).range;
    if (r && typeof r.start === 'number') return r.start + 1;
  }
  return undefined;
}

type Walk = (node: ASTNode, depth: number) => void;

/**
 * Compiles CEL conditions against one environment. One compiler serves one
 * policy set: the `re2Match` patterns it admits live in its own table.
 */
export class CelCompiler {
  readonly #env: Environment;
  readonly #patterns = new Map<string, RE2JS>();

  constructor() {
    const patterns = this.#patterns;
    this.#env = new Environment({ limits: { ...CEL_LIMITS }, unlistedVariablesAreDyn: false, enableOptionalTypes: false })
      .registerType('Principal', { ctor: PrincipalValue, fields: { agent: 'string', user: 'string', groups: 'list<string>' } })
      .registerType('Session', {
        ctor: SessionValue,
        fields: { id: 'string', calls: 'int', denials: 'int', untrustedSeen: 'bool', tags: 'list<string>' },
      })
      .registerVariable('server', 'string')
      .registerVariable('tool', 'string')
      .registerVariable('args', 'map<string, dyn>')
      .registerVariable('principal', 'Principal')
      .registerVariable('session', 'Session')
      .registerFunction('string.re2Match(string): bool', (value: string, pattern: string) => {
        const re = patterns.get(pattern);
        // Unreachable for expressions this compiler admitted; refuse rather than compile on the request path.
        if (!re) throw new IntentguardError('IG_CEL_EVAL', 're2Match pattern was not admitted at load');
        return re.test(value);
      });
  }

  /**
   * Parses, checks and type-checks `expression` (must be `bool`). Throws
   * `IG_CEL_INVALID` or `IG_REGEX_UNSAFE` at `location`.
   */
  compile(expression: string, location: ErrorLocation): CelCondition {
    const fail = (code: 'IG_CEL_INVALID' | 'IG_REGEX_UNSAFE', message: string, e?: unknown): never => {
      const col = e === undefined ? undefined : columnOf(e);
      throw new IntentguardError(code, col === undefined ? message : `${message} (at column ${col} of the condition)`, { location });
    };
    let parsed: ReturnType<Environment['parse']>;
    try {
      parsed = this.#env.parse(expression);
    } catch (e) {
      return fail('IG_CEL_INVALID', `CEL condition does not parse: ${summaryOf(e)}`, e);
    }
    this.#admitCalls(parsed.ast, fail);
    const checked = parsed.check();
    if (!checked.valid) return fail('IG_CEL_INVALID', `CEL condition does not type-check: ${summaryOf(checked.error)}`, checked.error);
    if (checked.type !== 'bool') return fail('IG_CEL_INVALID', `CEL condition must be bool, but it is ${checked.type ?? 'unknown'}`);
    const run = parsed;
    return Object.freeze({
      source: expression,
      evaluate(activation: CelActivation): boolean {
        let v: unknown;
        try {
          v = run(activation);
        } catch (e) {
          throw new IntentguardError('IG_CEL_EVAL', summaryOf(e), { cause: e });
        }
        if (typeof v !== 'boolean') throw new IntentguardError('IG_CEL_EVAL', `condition returned ${typeof v}, not bool`);
        return v;
      },
    });
  }

  /** Refuses `matches()`, requires literal `re2Match` patterns (admitting them), and bounds macro nesting. */
  #admitCalls(root: ASTNode, fail: (code: 'IG_CEL_INVALID' | 'IG_REGEX_UNSAFE', message: string) => never): void {
    const walk: Walk = (node, nesting) => {
      let inner = nesting;
      if (node.op === 'call' || node.op === 'rcall') {
        const name = node.args[0];
        const callArgs = node.op === 'call' ? node.args[1] : node.args[2];
        if (name === 'matches') {
          fail('IG_REGEX_UNSAFE', 'matches() runs a backtracking regex engine; use value.re2Match("pattern") (RE2, linear time)');
        }
        if (name === 're2Match') {
          const pattern = node.op === 'rcall' ? callArgs[0] : undefined;
          if (!pattern || pattern.op !== 'value' || typeof pattern.args !== 'string') {
            fail('IG_REGEX_UNSAFE', 're2Match needs a string literal pattern (a pattern computed from the call would let the caller choose the regex)');
          } else {
            const admitted = admitPattern(pattern.args);
            if (!admitted.ok) fail('IG_REGEX_UNSAFE', `re2Match ${JSON.stringify(pattern.args)}: ${admitted.reason}`);
            else this.#patterns.set(pattern.args, admitted.re);
          }
        }
        if (node.op === 'rcall' && COMPREHENSIONS.has(name)) {
          inner = nesting + 1;
          if (inner > MAX_COMPREHENSION_NESTING) {
            fail('IG_CEL_INVALID', `macros (${[...COMPREHENSIONS].join(', ')}) may be nested at most ${MAX_COMPREHENSION_NESTING} deep`);
          }
        }
      }
      for (const child of childrenOf(node)) walk(child, inner);
    };
    walk(root, 0);
  }
}

function isNode(v: unknown): v is ASTNode {
  return typeof v === 'object' && v !== null && 'op' in v && 'args' in v;
}

function childrenOf(node: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const visit = (v: unknown): void => {
    if (isNode(v)) out.push(v);
    else if (Array.isArray(v)) for (const x of v) visit(x);
  };
  if (node.op === 'value' || node.op === 'id') return out;
  visit(node.args);
  return out;
}
