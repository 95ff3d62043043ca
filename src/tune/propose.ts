import { canonicalHash, canonicalJson } from '../canonical.js';
import type { ArgConstraintSpec, RuleSpec } from '../policy/schema.js';
import { violations } from '../scope/index.js';
import type { ArgConstraint, Boundary } from '../scope/types.js';
import { classLabel, pathSegments, shapeBoundary, shapeCondition, shapeKey, shapeOf, shapeRecord, type Shape } from './shape.js';
import type { HumanLabel, LoggedDecision, Proposal, ProposalEvidence, ProposalKind, Traffic } from './types.js';

/** Thresholds of a tuning run. */
export interface ProposeOptions {
  /** Judged calls (or, for a boundary, allowed calls) a pattern needs before a rule is proposed for it. */
  readonly minSupport: number;
  /** Every allow verdict behind a fast path must be at least this sure. */
  readonly minConfidence: number;
  /** Share of a group's judged calls that must agree (1 = all of them). */
  readonly minAgreement: number;
}

export const DEFAULT_PROPOSE_OPTIONS: ProposeOptions = Object.freeze({ minSupport: 10, minConfidence: 0.9, minAgreement: 1 });

/** Calls of one server and tool with one argument shape. */
export interface Group {
  readonly server: string;
  readonly tool: string;
  readonly shape: Shape;
  readonly key: string;
  readonly members: readonly LoggedDecision[];
}

const EXAMPLES = 5;
/** A boundary proposal lists at most this many domains; more is not "one domain". */
const MAX_DOMAINS = 3;
/** Example calls bigger than this are not copied into inline tests. */
const MAX_EXAMPLE_CHARS = 4096;

/** The judge's verdict when it decided the call (policy handed it over), not a shadow-mode comparison. */
export function decisionVerdict(d: LoggedDecision): NonNullable<NonNullable<LoggedDecision['judge']>['verdict']> | undefined {
  return d.policyEffect === 'judge' ? d.judge?.verdict : undefined;
}

function judgeFailed(d: LoggedDecision): boolean {
  return d.policyEffect === 'judge' && d.judge?.failure !== undefined && d.judge.verdict === undefined;
}

export function groupDecisions(decisions: readonly LoggedDecision[]): Group[] {
  const groups = new Map<string, { server: string; tool: string; shape: Shape; key: string; members: LoggedDecision[] }>();
  for (const d of decisions) {
    if (d.policyEffect === 'pre-deny') continue;
    const shape = shapeOf(d.call.args);
    const key = shapeKey(shape);
    const id = `${JSON.stringify(d.call.server)}\u0000${JSON.stringify(d.call.tool)}\u0000${key}`;
    let g = groups.get(id);
    if (!g) {
      g = { server: d.call.server, tool: d.call.tool, shape, key, members: [] };
      groups.set(id, g);
    }
    g.members.push(d);
  }
  return [...groups.values()].sort((a, b) => cmp(a.server, b.server) || cmp(a.tool, b.tool) || cmp(a.key, b.key));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function labelsOf(members: readonly LoggedDecision[], labels: ReadonlyMap<string, HumanLabel>): HumanLabel[] {
  const out: HumanLabel[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    const l = labels.get(m.txn);
    if (l && !seen.has(m.txn)) {
      seen.add(m.txn);
      out.push(l);
    }
  }
  return out;
}

export function evidenceOf(members: readonly LoggedDecision[], labels: ReadonlyMap<string, HumanLabel>): ProposalEvidence {
  const verdicts = { allow: 0, deny: 0, narrow: 0, failed: 0 };
  const confidences: number[] = [];
  let latency = 0;
  for (const m of members) {
    const v = decisionVerdict(m);
    if (v) {
      verdicts[v.decision]++;
      confidences.push(v.confidence);
      latency += v.latencyMs;
    } else if (judgeFailed(m)) {
      verdicts.failed++;
      latency += m.judge?.failure?.latencyMs ?? 0;
    }
  }
  const human = { allow: 0, deny: 0, narrow: 0 };
  const overrides: string[] = [];
  for (const m of members) {
    const l = labels.get(m.txn);
    if (!l) continue;
    human[l.label]++;
    if (l.label !== m.decision) overrides.push(m.txn);
  }
  return {
    calls: members.length,
    verdicts,
    confidence:
      confidences.length === 0
        ? null
        : { min: Math.min(...confidences), mean: Math.round((confidences.reduce((a, b) => a + b, 0) / confidences.length) * 1000) / 1000 },
    humanLabels: human,
    overrides: [...new Set(overrides)],
    examples: [...new Set(members.map((m) => m.txn))].slice(0, EXAMPLES),
    judgeLatencyMs: Math.round(latency * 1000) / 1000,
  };
}

function slug(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return (cleaned || 'x').slice(0, 32);
}

/** Rule ids: readable, unique across the loaded set (a numeric suffix settles a clash). */
export class RuleIds {
  readonly #taken: Set<string>;

  constructor(existing: Iterable<string>) {
    this.#taken = new Set(existing);
  }

  next(kind: ProposalKind, server: string, tool: string, hash: string): string {
    const base = `tune.${kind}.${slug(server)}.${slug(tool)}.${hash.slice(0, 8)}`;
    let id = base;
    for (let n = 2; this.#taken.has(id); n++) id = `${base}-${n}`;
    this.#taken.add(id);
    return id;
  }
}

/** Globs treat `*` and `?` as wildcards and refuse whitespace: such names are matched exactly in the condition instead. */
function matchOf(server: string, tool: string): { match: { server: string; tool: string }; exact?: string } {
  const plain = (n: string): boolean => n.length > 0 && n.length <= 256 && !/[*?\s]/.test(n);
  const conditions: string[] = [];
  if (!plain(server)) conditions.push(`server == ${JSON.stringify(server)}`);
  if (!plain(tool)) conditions.push(`tool == ${JSON.stringify(tool)}`);
  return {
    match: { server: plain(server) ? server : '*', tool: plain(tool) ? tool : '*' },
    ...(conditions.length ? { exact: conditions.join(' && ') } : {}),
  };
}

function joinConditions(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => p !== undefined && p !== '');
  return kept.length === 0 ? undefined : kept.join(' && ');
}

function describeShape(shape: Shape): string {
  const parts = [...shape].map(([n, c]) => `${n}=${classLabel(c)}`);
  return parts.length === 0 ? '(no arguments)' : parts.join(', ');
}

function firstExample(members: readonly LoggedDecision[], keep: (d: LoggedDecision) => boolean): Proposal['example'] {
  const fits = members.filter((m) => keep(m) && canonicalJson(m.call.args).length <= MAX_EXAMPLE_CHARS);
  const m = fits[0];
  return m ? { txn: m.txn, call: m.call, principal: m.principal } : undefined;
}

/** Scopes the calls of a group were bounded by, when they all agree; a fast path keeps them. */
function commonScopes(members: readonly LoggedDecision[]): string[] | undefined {
  const first = members[0]?.boundary.scopes;
  if (!first || first.length === 0) return undefined;
  const key = canonicalJson([...first].sort());
  return members.every((m) => canonicalJson([...m.boundary.scopes].sort()) === key) ? [...first] : undefined;
}

function decisionRule(
  kind: ProposalKind,
  effect: 'deny' | 'allow',
  group: Group,
  ids: RuleIds,
  hash: string,
  description: string,
): RuleSpec {
  const m = matchOf(group.server, group.tool);
  const when = joinConditions(m.exact, shapeCondition(group.shape, effect));
  const id = ids.next(kind, group.server, group.tool, hash);
  if (effect === 'deny') return { id, description, match: m.match, ...(when ? { when } : {}), effect: 'deny' };
  const args = shapeBoundary(group.shape);
  const scopes = commonScopes(group.members);
  return {
    id,
    description,
    match: m.match,
    ...(when ? { when } : {}),
    effect: 'allow',
    ...(scopes ? { scopes } : {}),
    ...(Object.keys(args).length ? { args } : {}),
  };
}

function proposalId(kind: ProposalKind, target: unknown): string {
  return `p-${canonicalHash({ kind, target }).slice(0, 10)}`;
}

function judged(members: readonly LoggedDecision[]): LoggedDecision[] {
  return members.filter((m) => decisionVerdict(m) !== undefined);
}

/** A deterministic deny where the judge denied a pattern consistently and no human said otherwise. */
function denyProposal(group: Group, traffic: Traffic, ids: RuleIds, o: ProposeOptions): Proposal | undefined {
  const j = judged(group.members);
  if (j.length < o.minSupport) return undefined;
  const denied = j.filter((m) => decisionVerdict(m)?.decision === 'deny');
  if (denied.length / j.length < o.minAgreement) return undefined;
  const human = labelsOf(group.members, traffic.labels);
  if (human.some((l) => l.label !== 'deny')) return undefined;
  const target = { server: group.server, tool: group.tool, shape: shapeRecord(group.shape) };
  const hash = canonicalHash({ kind: 'deny', target });
  const summary = `deny ${group.server}.${group.tool} when ${describeShape(group.shape)}: the judge denied ${denied.length} of ${j.length} judged calls`;
  return {
    id: proposalId('deny', target),
    kind: 'deny',
    status: 'accepted',
    reasons: [],
    summary,
    target,
    rule: decisionRule('deny', 'deny', group, ids, hash, `Proposed from the audit log: the judge denied ${denied.length} of ${j.length} such calls`),
    evidence: evidenceOf(group.members, traffic.labels),
    example: firstExample(denied, () => true),
  };
}

/** An allow fast path where the judge allowed a pattern consistently and surely, and no human said otherwise. */
function allowProposal(group: Group, traffic: Traffic, ids: RuleIds, o: ProposeOptions): Proposal | undefined {
  const j = judged(group.members);
  if (j.length < o.minSupport) return undefined;
  const allowed = j.filter((m) => decisionVerdict(m)?.decision === 'allow');
  if (allowed.length / j.length < o.minAgreement) return undefined;
  if (allowed.some((m) => (decisionVerdict(m)?.confidence ?? 0) < o.minConfidence)) return undefined;
  const human = labelsOf(group.members, traffic.labels);
  if (human.some((l) => l.label !== 'allow')) return undefined;
  const target = { server: group.server, tool: group.tool, shape: shapeRecord(group.shape) };
  const hash = canonicalHash({ kind: 'allow', target });
  const min = Math.min(...allowed.map((m) => decisionVerdict(m)?.confidence ?? 0));
  const summary = `fast path: allow ${group.server}.${group.tool} when ${describeShape(group.shape)}: the judge allowed ${allowed.length} of ${j.length} judged calls (confidence >= ${min})`;
  return {
    id: proposalId('allow', target),
    kind: 'allow',
    status: 'accepted',
    reasons: [],
    summary,
    target,
    rule: decisionRule('allow', 'allow', group, ids, hash, `Proposed from the audit log: the judge allowed ${allowed.length} of ${j.length} such calls`),
    evidence: evidenceOf(group.members, traffic.labels),
    example: firstExample(allowed, () => true),
  };
}

/** A rule with the human's decision where humans overrode the judge (or the policy) and agree among themselves. */
function fixProposal(group: Group, traffic: Traffic, ids: RuleIds, taken: ReadonlySet<string>): Proposal | undefined {
  const human = labelsOf(group.members, traffic.labels);
  if (human.length === 0) return undefined;
  const decisions = new Set(human.map((l) => l.label));
  if (decisions.size !== 1) return undefined;
  const label = human[0]?.label;
  if (label === undefined || label === 'narrow') return undefined;
  const overridden = group.members.filter((m) => traffic.labels.get(m.txn)?.label === label && m.decision !== label);
  if (overridden.length === 0) return undefined;
  const target = { server: group.server, tool: group.tool, shape: shapeRecord(group.shape) };
  // A deny or allow proposal for the same group already carries this rule.
  if (taken.has(`${label}\u0000${canonicalJson(target)}`)) return undefined;
  const hash = canonicalHash({ kind: 'fix', label, target });
  const summary = `fix: ${label} ${group.server}.${group.tool} when ${describeShape(group.shape)}: humans labeled ${human.length} call(s) ${label}, overriding ${overridden.length} logged decision(s)`;
  return {
    id: proposalId('fix', { label, target }),
    kind: 'fix',
    status: 'accepted',
    reasons: [],
    summary,
    target,
    rule: decisionRule('fix', label, group, ids, hash, `Proposed from human review: ${human.length} call(s) labeled ${label}, ${overridden.length} overriding the logged decision`),
    evidence: evidenceOf(group.members, traffic.labels),
    example: firstExample(overridden, () => true),
  };
}

/** The smallest of 1, 2, 5 × 10^k at or above `m`. */
export function niceCeiling(m: number): number {
  if (!(m > 0) || !Number.isFinite(m)) return m;
  const k = Math.floor(Math.log10(m));
  for (const f of [1, 2, 5, 10]) {
    const v = Number((f * 10 ** k).toPrecision(12));
    if (v >= m) return v;
  }
  return Number((10 ** (k + 1)).toPrecision(12));
}

function commonRoot(paths: readonly string[][]): string | undefined {
  const first = paths[0];
  if (!first) return undefined;
  let n = first.length;
  for (const p of paths) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return n === 0 ? undefined : `/${first.slice(0, n).join('/')}`;
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function hostWithin(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function emailOrHost(v: string): string | undefined {
  const at = v.lastIndexOf('@');
  if (at > 0 && /^[^@\s]+@[A-Za-z0-9.-]+$/.test(v)) return v.slice(at + 1).toLowerCase();
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([A-Za-z0-9.-]+)(:[0-9]+)?([/?#]|$)/.exec(v);
  return m?.[1]?.toLowerCase();
}

/** Every scalar of a value that is a scalar or a list of scalars; undefined for anything else. */
function scalars(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v.every((x) => x === null || typeof x !== 'object') ? v : undefined;
  return v !== null && typeof v === 'object' ? undefined : [v];
}

interface Tightening {
  readonly spec: ArgConstraintSpec;
  readonly constraint: ArgConstraint;
  readonly describe: string;
  /** "stayed …": where every value stayed. */
  readonly inside: string;
  /** True when a call's current constraints already imply the tighter one. */
  readonly impliedBy: (current: readonly ArgConstraint[]) => boolean;
}

/** The narrowest constraint of the supported kinds that every allowed value satisfies, if any. */
function tightening(values: readonly unknown[]): Tightening | undefined {
  const flat: unknown[] = [];
  for (const v of values) {
    const s = scalars(v);
    if (s === undefined) return undefined;
    flat.push(...s);
  }
  if (flat.length === 0) return undefined;

  if (flat.every((v) => typeof v === 'string' && pathSegments(v) !== undefined)) {
    const root = commonRoot(flat.map((v) => pathSegments(v as string) as string[]));
    if (root === undefined) return undefined;
    return {
      spec: { within: [root] },
      constraint: { kind: 'within', roots: [root] },
      describe: `within ${root}`,
      inside: `within ${root}`,
      impliedBy: (cur) => cur.some((c) => c.kind === 'within' && c.roots.length > 0 && c.roots.every((r) => inside(r, root))),
    };
  }
  if (flat.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
    const max = Math.max(...(flat as number[]));
    if (!(max > 0)) return undefined;
    const ceiling = niceCeiling(max);
    return {
      spec: { max: ceiling },
      constraint: { kind: 'range', max: ceiling },
      describe: `max ${ceiling}`,
      inside: `at or below ${ceiling} (largest ${max})`,
      impliedBy: (cur) => cur.some((c) => c.kind === 'range' && c.max !== undefined && c.max <= ceiling),
    };
  }
  if (flat.every((v) => typeof v === 'string')) {
    const hosts = flat.map((v) => emailOrHost(v as string));
    if (hosts.some((h) => h === undefined)) return undefined;
    const unique = [...new Set(hosts as string[])].sort();
    // A host under another listed host adds nothing: `domain` admits subdomains.
    const domains = unique.filter((h) => !unique.some((o) => o !== h && hostWithin(h, o)));
    if (domains.length === 0 || domains.length > MAX_DOMAINS) return undefined;
    return {
      spec: { domain: domains },
      constraint: { kind: 'domain', domains },
      describe: `domain ${domains.join(', ')}`,
      inside: `in ${domains.length === 1 ? 'domain' : 'domains'} ${domains.join(', ')}`,
      impliedBy: (cur) => cur.some((c) => c.kind === 'domain' && c.domains.length > 0 && c.domains.every((d) => domains.some((x) => hostWithin(d, x)))),
    };
  }
  return undefined;
}

function describeConstraint(c: ArgConstraint): string {
  switch (c.kind) {
    case 'within':
      return `within ${c.roots.join(', ')}`;
    case 'range':
      return [c.min === undefined ? '' : `min ${c.min}`, c.max === undefined ? '' : `max ${c.max}`].filter(Boolean).join(' ');
    case 'domain':
      return `domain ${c.domains.join(', ')}`;
    case 'prefix':
      return `prefix ${c.prefixes.join(', ')}`;
    case 'oneOf':
      return `one of ${c.values.length} values`;
    case 'pattern':
      return 'pattern';
    case 'maxLength':
      return `max_length ${c.max}`;
    case 'fromTask':
      return 'from_task';
    case 'absent':
      return 'absent';
  }
}

/**
 * Tighter boundaries for one server and tool: for each argument, when every
 * call the guard let through (allowed or narrowed, as requested) stayed
 * inside a narrower directory, amount or set of domains than the policy
 * permits. The rule takes the effect the tool's calls already get, so it
 * only adds a constraint.
 */
function boundaryProposals(members: readonly LoggedDecision[], traffic: Traffic, ids: RuleIds, o: ProposeOptions): Proposal[] {
  const first = members[0];
  if (!first) return [];
  const { server, tool } = first.call;
  const granted = members.filter((m) => m.decision !== 'deny' && m.policyEffect !== 'pre-deny');
  if (granted.length < o.minSupport) return [];
  const effects = new Set(members.filter((m) => m.policyEffect !== 'deny' && m.policyEffect !== 'pre-deny').map((m) => m.policyEffect));
  if (effects.size !== 1) return [];
  const effect = [...effects][0] as 'allow' | 'judge' | 'ask';
  const names = [...new Set(granted.flatMap((m) => Object.keys(m.call.args)))].sort();
  const out: Proposal[] = [];
  for (const name of names) {
    const carrying = granted.filter((m) => Object.hasOwn(m.call.args, name));
    if (carrying.length < o.minSupport) continue;
    const t = tightening(carrying.map((m) => m.call.args[name]));
    if (!t) continue;
    if (carrying.every((m) => t.impliedBy(m.boundary.args[name] ?? []))) continue;
    const tighter: Boundary = { scopes: [], args: { [name]: [t.constraint] } };
    const ctx = { inTask: () => true };
    if (carrying.some((m) => violations({ scopes: [], args: m.call.args }, tighter, ctx).length > 0)) continue;
    const currentAll = carrying.flatMap((m) => m.boundary.args[name] ?? []);
    const current = [...new Map(currentAll.map((c) => [canonicalJson(c), c])).values()];
    const target = { server, tool, arg: name, constraint: t.spec, current };
    const hashTarget = { server, tool, arg: name, constraint: t.spec };
    const hash = canonicalHash({ kind: 'boundary', target: hashTarget });
    const m = matchOf(server, tool);
    const rule: RuleSpec = {
      id: ids.next('boundary', server, tool, hash),
      description: `Proposed from the audit log: all ${carrying.length} calls let through stayed ${t.inside}`,
      match: m.match,
      ...(m.exact ? { when: m.exact } : {}),
      effect,
      args: { [name]: t.spec },
    };
    const policyText = current.length === 0 ? 'no constraint' : current.map(describeConstraint).join('; ');
    out.push({
      id: proposalId('boundary', hashTarget),
      kind: 'boundary',
      status: 'accepted',
      reasons: [],
      summary: `tighter boundary on ${server}.${tool} ${name}: ${t.describe} (the policy has ${policyText}; all ${carrying.length} calls let through stayed ${t.inside})`,
      target,
      rule,
      evidence: evidenceOf(carrying, traffic.labels),
      example: firstExample(carrying, () => true),
    });
  }
  return out;
}

const KIND_ORDER: Readonly<Record<ProposalKind, number>> = { deny: 0, allow: 1, boundary: 2, fix: 3 };

/** Every candidate proposal for the logged traffic, in a stable order. */
export function propose(traffic: Traffic, existingRuleIds: Iterable<string>, options: ProposeOptions = DEFAULT_PROPOSE_OPTIONS): Proposal[] {
  const ids = new RuleIds(existingRuleIds);
  const out: Proposal[] = [];
  const groups = groupDecisions(traffic.decisions);
  const taken = new Set<string>();
  for (const g of groups) {
    for (const p of [denyProposal(g, traffic, ids, options), allowProposal(g, traffic, ids, options)]) {
      if (!p) continue;
      out.push(p);
      taken.add(`${p.kind}\u0000${canonicalJson(p.target)}`);
    }
  }
  for (const g of groups) {
    const f = fixProposal(g, traffic, ids, taken);
    if (f) out.push(f);
  }
  const byTool = new Map<string, LoggedDecision[]>();
  for (const d of traffic.decisions) {
    const k = `${JSON.stringify(d.call.server)}\u0000${JSON.stringify(d.call.tool)}`;
    const list = byTool.get(k) ?? [];
    list.push(d);
    byTool.set(k, list);
  }
  for (const k of [...byTool.keys()].sort()) out.push(...boundaryProposals(byTool.get(k) ?? [], traffic, ids, options));
  return out.sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      cmp(a.target.server, b.target.server) ||
      cmp(a.target.tool, b.target.tool) ||
      cmp(canonicalJson(a.target), canonicalJson(b.target)),
  );
}
