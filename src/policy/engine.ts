import { EMPTY_BOUNDARY } from '../scope/types.js';
import type { ArgConstraint, Boundary } from '../scope/types.js';
import type { Principal } from '../session/types.js';
import { celActivation } from './cel.js';
import type { CelActivation } from './cel.js';
import { compileGlob } from './glob.js';
import type { NameGlob } from './glob.js';
import { principalMatches } from './rule.js';
import type { CompiledRule, PolicyDefaults } from './rule.js';
import type { PolicyDecision, PolicyEffect, PolicyEngine, PolicyInput } from './types.js';

/**
 * Combination, in one place:
 * - deny > ask > judge > allow: the strongest effect among matched rules wins;
 * - no rule matched: `defaults.decision`, with an empty boundary;
 * - a non-deny decision's boundary is the intersection of the matched (non-deny)
 *   rules' boundaries: scopes intersect over the rules that declare `scopes`,
 *   argument constraints accumulate (all must hold);
 * - matched rules naming different `audience`s deny (no credential could serve both).
 */
const RANK: Readonly<Record<PolicyEffect, number>> = { allow: 0, judge: 1, ask: 2, deny: 3 };

/** Rules applying to one server pattern, split by tool pattern. */
interface ToolIndex {
  readonly exact: Map<string, CompiledRule[]>;
  /** Rules with at least one wildcard tool pattern; tested with their full tool list. */
  readonly globs: CompiledRule[];
}

function newToolIndex(): ToolIndex {
  return { exact: new Map(), globs: [] };
}

function addToToolIndex(index: ToolIndex, rule: CompiledRule): void {
  let wild = false;
  for (const t of rule.tools.sources) {
    if (compileGlob(t).literal) {
      const list = index.exact.get(t);
      if (list) list.push(rule);
      else index.exact.set(t, [rule]);
    } else wild = true;
  }
  if (wild) index.globs.push(rule);
}

/** Candidate lists are cached per server/tool pair; names come from the agent, so the cache is bounded in entries and key size. */
const CANDIDATE_CACHE_MAX = 4096;
const CANDIDATE_CACHE_KEY_MAX = 512;

function byOrdinal(a: CompiledRule, b: CompiledRule): number {
  return a.ordinal - b.ordinal;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Intersects the boundaries of matched granting rules (see the combination notes above). */
function combineBoundaries(rules: readonly CompiledRule[]): Boundary {
  if (rules.length === 1) return rules[0]!.boundary;
  let scopes: string[] | undefined;
  // No prototype: an argument path is only ever an own key.
  const args: Record<string, ArgConstraint[]> = Object.create(null) as Record<string, ArgConstraint[]>;
  const seen = new Map<string, Set<string>>();
  for (const r of rules) {
    if (r.declaresScopes) scopes = scopes === undefined ? [...r.boundary.scopes] : scopes.filter((s) => r.boundary.scopes.includes(s));
    for (const [path, constraints] of Object.entries(r.boundary.args)) {
      const list = (args[path] ??= []);
      let keys = seen.get(path);
      if (!keys) seen.set(path, (keys = new Set()));
      for (const c of constraints) {
        const key = JSON.stringify(c);
        if (keys.has(key)) continue;
        keys.add(key);
        list.push(c);
      }
    }
  }
  for (const list of Object.values(args)) Object.freeze(list);
  return Object.freeze({ scopes: Object.freeze(scopes ?? []), args: Object.freeze(args) });
}

export interface PolicySetOptions {
  /** Use the server/tool index (default). False scans every rule: the reference the index is tested against. */
  readonly indexed?: boolean;
}

/** A compiled, frozen policy set. */
export class PolicySet implements PolicyEngine {
  readonly size: number;
  readonly sources: readonly string[];
  readonly defaults: PolicyDefaults;
  readonly rules: readonly CompiledRule[];
  readonly #indexed: boolean;
  readonly #serverExact = new Map<string, ToolIndex>();
  readonly #serverGlobs: { readonly glob: NameGlob; readonly tools: ToolIndex }[] = [];
  readonly #anyServer: ToolIndex = newToolIndex();
  readonly #cache = new Map<string, readonly CompiledRule[]>();

  constructor(rules: readonly CompiledRule[], defaults: PolicyDefaults, sources: readonly string[], options: PolicySetOptions = {}) {
    this.rules = Object.freeze([...rules].sort(byOrdinal));
    this.size = rules.length;
    this.sources = Object.freeze([...sources]);
    this.defaults = Object.freeze({ ...defaults });
    this.#indexed = options.indexed ?? true;
    const globIndex = new Map<string, ToolIndex>();
    for (const rule of this.rules) {
      if (rule.servers.any) {
        addToToolIndex(this.#anyServer, rule);
        continue;
      }
      for (const s of rule.servers.sources) {
        const glob = compileGlob(s);
        let tools: ToolIndex | undefined;
        if (glob.literal) {
          tools = this.#serverExact.get(s);
          if (!tools) this.#serverExact.set(s, (tools = newToolIndex()));
        } else {
          tools = globIndex.get(s);
          if (!tools) {
            globIndex.set(s, (tools = newToolIndex()));
            this.#serverGlobs.push({ glob, tools });
          }
        }
        addToToolIndex(tools, rule);
      }
    }
    Object.freeze(this);
  }

  /** Rules whose server and tool patterns match, in load order. */
  candidates(server: string, tool: string): readonly CompiledRule[] {
    if (!this.#indexed) return this.rules.filter((r) => r.servers.test(server) && r.tools.test(tool));
    const cacheable = server.length + tool.length < CANDIDATE_CACHE_KEY_MAX;
    const key = cacheable ? `${server}\u0000${tool}` : '';
    const cached = cacheable ? this.#cache.get(key) : undefined;
    if (cached) return cached;
    const found: CompiledRule[] = [];
    const collect = (index: ToolIndex | undefined): void => {
      if (!index) return;
      const exact = index.exact.get(tool);
      if (exact) for (const r of exact) found.push(r);
      for (const r of index.globs) if (r.tools.test(tool)) found.push(r);
    };
    collect(this.#serverExact.get(server));
    collect(this.#anyServer);
    for (const g of this.#serverGlobs) if (g.glob.test(server)) collect(g.tools);
    found.sort(byOrdinal);
    const unique = Object.freeze(found.filter((r, i) => i === 0 || found[i - 1] !== r));
    if (cacheable) {
      if (this.#cache.size >= CANDIDATE_CACHE_MAX) this.#cache.clear();
      this.#cache.set(key, unique);
    }
    return unique;
  }

  evaluate(input: PolicyInput): PolicyDecision {
    try {
      return this.#evaluate(input);
    } catch (e) {
      // Unexpected input shapes (say, a non-string group) must not open anything.
      return this.#decision('deny', EMPTY_BOUNDARY, [], undefined, [`policy evaluation failed (${errorText(e)}); denied`], undefined);
    }
  }

  #evaluate(input: PolicyInput): PolicyDecision {
    const candidates = this.candidates(input.server, input.tool);
    let activation: CelActivation | undefined;
    const matched: CompiledRule[] = [];
    let notes: string[] | undefined;
    for (const rule of candidates) {
      if (rule.principal && !principalMatches(rule.principal, input.principal)) continue;
      if (rule.condition) {
        let holds: boolean;
        try {
          activation ??= celActivation(input);
          holds = rule.condition.evaluate(activation);
        } catch (e) {
          // Fail closed: a rule that would restrict the call (deny, ask, judge) counts as matched, so an agent cannot
          // dodge it by sending arguments of a type its condition does not expect; only an allow rule is skipped.
          holds = rule.effect !== 'allow';
          (notes ??= []).push(
            `rule ${rule.id}: condition failed at runtime (${errorText(e)}); ${holds ? `counted as matched (a ${rule.effect} rule fails closed)` : 'counted as not matched'}`,
          );
        }
        if (!holds) continue;
      }
      matched.push(rule);
    }
    return this.#combine(matched, notes ?? []);
  }

  #combine(matched: readonly CompiledRule[], notes: readonly string[]): PolicyDecision {
    const ids = matched.map((r) => r.id);
    if (matched.length === 0) {
      const effect = this.defaults.decision;
      return this.#decision(effect, EMPTY_BOUNDARY, ids, undefined, [`no rule matched; default decision ${effect}`, ...notes], undefined);
    }
    let deciding = matched[0]!;
    for (const r of matched) if (RANK[r.effect] > RANK[deciding.effect]) deciding = r;
    const reasons = matched.map((r) => `${r.id} (${r.effect})${r.description ? `: ${r.description}` : ''}`);
    reasons.push(...notes);
    if (deciding.effect === 'deny') return this.#decision('deny', EMPTY_BOUNDARY, ids, deciding.id, reasons, undefined);

    let audience: string | undefined;
    for (const r of matched) {
      if (r.audience === undefined) continue;
      if (audience === undefined) audience = r.audience;
      else if (audience !== r.audience) {
        reasons.push(`matched rules name different audiences (${audience}, ${r.audience}); denied`);
        return this.#decision('deny', EMPTY_BOUNDARY, ids, r.id, reasons, undefined);
      }
    }
    return this.#decision(deciding.effect, combineBoundaries(matched), ids, deciding.id, reasons, audience);
  }

  #decision(
    effect: PolicyEffect,
    boundary: Boundary,
    matchedRules: string[],
    decidingRule: string | undefined,
    reasons: string[],
    audience: string | undefined,
  ): PolicyDecision {
    const d: PolicyDecision = {
      effect,
      boundary,
      matchedRules: Object.freeze(matchedRules),
      decidingRule,
      reasons: Object.freeze(reasons),
      onJudgeFailure: this.defaults.onJudgeFailure,
      credentialTtlSeconds: this.defaults.credentialTtlSeconds,
      ...(audience === undefined ? {} : { audience }),
    };
    return Object.freeze(d);
  }

  toolVisible(server: string, tool: string, principal: Principal): boolean {
    try {
      let couldGrant = false;
      for (const rule of this.candidates(server, tool)) {
        if (!principalMatches(rule.principal, principal)) continue;
        if (rule.effect === 'deny') {
          if (!rule.condition) return false;
        } else couldGrant = true;
      }
      return couldGrant || this.defaults.decision !== 'deny';
    } catch {
      return false;
    }
  }
}
