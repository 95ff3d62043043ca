import { z } from 'zod';

/**
 * The policy file format, as zod schemas. These are the single source of truth:
 * the loader validates with them and `policies/schema.json` is generated from
 * them (`renderPolicySchema`). Every object is strict, so a misspelt key is an
 * error rather than a silently ignored line.
 */

/** Caps that keep a hostile or runaway policy file from costing more than a sane one. */
export const POLICY_LIMITS = Object.freeze({
  fileBytes: 2 * 1024 * 1024,
  rulesPerFile: 10_000,
  rulesTotal: 50_000,
  testsPerFile: 1_000,
  namePatternLength: 256,
  namePatternsPerList: 256,
  conditionLength: 2_048,
  patternLength: 512,
  argPathsPerRule: 64,
  valuesPerConstraint: 256,
  scopesPerRule: 64,
});

const NamePattern = z
  .string()
  .min(1)
  .max(POLICY_LIMITS.namePatternLength)
  .regex(/^\S+$/, 'must not contain whitespace')
  .describe('A name or glob: `*` matches any run of characters, `?` exactly one; everything else is literal.');

const NamePatterns = z
  .union([NamePattern, z.array(NamePattern).min(1).max(POLICY_LIMITS.namePatternsPerList)])
  .describe('One glob or a list of globs (any may match).');

const RuleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 characters of letters, digits, `.`, `_`, `:`, `-`')
  .describe('Unique across every loaded policy file; appears in decisions and the audit log.');

const Scope = z.string().min(1).max(256).regex(/^\S+$/, 'must not contain whitespace');

const Scalar = z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]);

const StringList = (item: z.ZodString) => z.union([item, z.array(item).min(1).max(POLICY_LIMITS.valuesPerConstraint)]);

const Root = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^(\/|[A-Za-z]:[\\/])/, 'must be an absolute path');

const Domain = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'must be a host name like example.com');

/** Constraints on one argument; every given key adds one constraint and all must hold. */
export const ArgConstraintSchema = z
  .strictObject({
    within: StringList(Root).optional().describe('A path that must resolve inside one of these roots (no `..` escape).'),
    prefix: StringList(z.string().min(1).max(4096)).optional().describe('A string that must start with one of these prefixes.'),
    one_of: z.array(Scalar).min(1).max(POLICY_LIMITS.valuesPerConstraint).optional().describe('The value must equal one of these.'),
    pattern: z
      .string()
      .min(1)
      .max(POLICY_LIMITS.patternLength)
      .optional()
      .describe('RE2 pattern the whole string must match. No backreferences or lookaround, no nested repetition like `(a+)+`.'),
    min: z.number().optional().describe('Smallest number allowed; a smaller value is refused.'),
    max: z.number().optional().describe('Largest number allowed; a larger value is clamped down to it.'),
    max_length: z.int().min(0).max(1_000_000).optional().describe('Most characters of a string, or most items of a list.'),
    domain: StringList(Domain).optional().describe('An e-mail address or URL whose host is one of these domains or a subdomain of one.'),
    from_task: z.literal(true).optional().describe('The value must appear in the trusted task text: the user named it.'),
    absent: z.literal(true).optional().describe('The argument must not be given at all. Cannot be combined with other keys.'),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'give at least one constraint')
  .refine((c) => c.absent === undefined || Object.entries(c).every(([k, v]) => k === 'absent' || v === undefined), {
    message: '`absent` cannot be combined with other constraints',
  })
  .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, { message: '`min` must not exceed `max`' })
  .describe('Constraints on one argument (keys are argument paths like `path` or `options.limit`).');

/** Names that reach object plumbing rather than an argument. */
const RESERVED_PATH_PARTS = new Set(['__proto__', 'constructor', 'prototype']);

const ArgPath = z
  .string()
  .regex(/^[^.\s]{1,128}(\.[^.\s]{1,128}){0,7}$/, 'must be an argument name or a dotted path of at most 8 parts')
  .refine((p) => !p.split('.').some((part) => RESERVED_PATH_PARTS.has(part)), {
    message: 'an argument path may not use __proto__, constructor or prototype',
  });

const PrincipalMatch = z
  .strictObject({
    agent: NamePatterns.optional().describe('Globs for the agent id; a missing agent is matched as the empty string.'),
    user: NamePatterns.optional().describe('Globs for the user id; a missing user is matched as the empty string.'),
    groups: NamePatterns.optional().describe('Matches when any of the principal\'s groups matches any glob.'),
  })
  .describe('Who the rule applies to. Every given key must match.');

const Match = z
  .strictObject({
    server: NamePatterns.optional().describe('The upstream server name (default `*`).'),
    tool: NamePatterns.optional().describe('The tool name (default `*`).'),
    principal: PrincipalMatch.optional(),
  })
  .describe('Which calls the rule applies to.');

const ruleCommon = {
  id: RuleId,
  description: z.string().max(1024).optional().describe('Why the rule exists; shown in decision reasons.'),
  match: Match.optional(),
  when: z
    .string()
    .min(1)
    .max(POLICY_LIMITS.conditionLength)
    .optional()
    .describe('CEL condition over server, tool, args, principal, session. Compiled and type-checked at load.'),
};

const DenyRule = z
  .strictObject({
    ...ruleCommon,
    effect: z.literal('deny').describe('Refuse the call. Deny overrides every other effect.'),
  })
  .describe('A rule that refuses matching calls.');

const GrantingRule = z
  .strictObject({
    ...ruleCommon,
    effect: z
      .enum(['allow', 'judge', 'ask'])
      .describe('allow: fast path without the judge; judge: hand to the intent judge; ask: a human approves.'),
    scopes: z.array(Scope).max(POLICY_LIMITS.scopesPerRule).optional().describe('The most scopes a credential for this call may carry.'),
    args: z
      .record(ArgPath, ArgConstraintSchema)
      .refine((r) => Object.keys(r).length <= POLICY_LIMITS.argPathsPerRule, `at most ${POLICY_LIMITS.argPathsPerRule} argument paths`)
      .optional()
      .describe('Argument constraints: the boundary no later step may widen.'),
    audience: z.string().min(1).max(2048).regex(/^\S+$/).optional().describe('The audience of credentials derived for this call.'),
  })
  .describe('A rule that lets matching calls proceed (directly, via the judge, or via a human) inside its boundary.');

export const RuleSchema = z.discriminatedUnion('effect', [DenyRule, GrantingRule]);

export const DefaultsSchema = z
  .strictObject({
    decision: z.enum(['deny', 'judge', 'allow']).optional().describe('The effect for calls no rule matches (default judge).'),
    on_judge_failure: z.enum(['deny', 'allow']).optional().describe('The decision when the judge fails (default deny).'),
    credential_ttl: z.int().min(5).max(300).optional().describe('Lifetime in seconds of derived credentials (default 60).'),
  })
  .describe('Merged across files: the strictest value wins.');

const TestCall = z.strictObject({
  server: z.string().min(1).max(256),
  tool: z.string().min(1).max(256),
  args: z.record(z.string(), z.unknown()).optional(),
});

const TestPrincipal = z.strictObject({
  agent: z.string().max(256).optional(),
  user: z.string().max(256).optional(),
  groups: z.array(z.string().max(256)).max(256).optional(),
});

const TestSession = z.strictObject({
  calls: z.int().min(0).optional(),
  denials: z.int().min(0).optional(),
  untrusted_seen: z.boolean().optional(),
  tags: z.array(z.string().max(256)).max(256).optional(),
});

const Effect = z.enum(['deny', 'ask', 'judge', 'allow']);

export const PolicyTestSchema = z
  .strictObject({
    name: z.string().min(1).max(256),
    call: TestCall,
    principal: TestPrincipal.optional(),
    session: TestSession.optional().describe('Session facts for the call (defaults: no calls, no denials, nothing untrusted seen).'),
    expect: Effect.describe('The expected policy effect.'),
    expect_rule: RuleId.optional().describe('The rule expected to decide the effect.'),
    expect_matched: z.array(RuleId).max(256).optional().describe('Exactly the rule ids expected to match ([] = none, the default applies).'),
    expect_scopes: z.array(Scope).max(256).optional().describe('Exactly the scopes expected in the boundary.'),
    expect_args: z.array(ArgPath).max(256).optional().describe('Exactly the argument paths the boundary is expected to constrain.'),
  })
  .describe('An inline test run by `intentguard check`.');

export const PolicyFileSchema = z
  .strictObject({
    version: z.literal(1).describe('The policy format version.'),
    name: z.string().min(1).max(128).optional().describe('A label for this file.'),
    defaults: DefaultsSchema.optional(),
    rules: z.array(RuleSchema).max(POLICY_LIMITS.rulesPerFile).optional(),
    tests: z.array(PolicyTestSchema).max(POLICY_LIMITS.testsPerFile).optional(),
  })
  .meta({ title: 'intentguard policy file', description: 'Rules deciding which agent tool calls may run, inside which boundary.' });

export type PolicyFile = z.output<typeof PolicyFileSchema>;
export type RuleSpec = z.output<typeof RuleSchema>;
export type GrantingRuleSpec = z.output<typeof GrantingRule>;
export type ArgConstraintSpec = z.output<typeof ArgConstraintSchema>;
export type PolicyTestSpec = z.output<typeof PolicyTestSchema>;
export type DefaultsSpec = z.output<typeof DefaultsSchema>;

/** The JSON Schema of policy files, as committed in `policies/schema.json` (stable text, trailing newline). */
export function renderPolicySchema(): string {
  const schema = z.toJSONSchema(PolicyFileSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
