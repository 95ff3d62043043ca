import { z } from 'zod';
import type { Evidence, VerdictDecision } from './types.js';

/*
 * The model's answer, and nothing else, is parsed here. Untrusted input (tool
 * arguments, results, descriptions) never passes through these functions: a
 * fake verdict inside an argument stays text in the prompt and can never be
 * read back as the verdict.
 *
 * Decision on `narrow` with nothing to narrow: it is a judge failure
 * (IG_JUDGE_INVALID_OUTPUT), not an allow. A model that says "narrow" but names
 * no narrowed argument or scope has not produced a verdict we can apply, and
 * reading it as allow would turn a confused reply into access.
 */

/** Longest model reply we read; anything longer is a failure, not a truncated guess. */
export const MAX_REPLY_CHARS = 32_768;
const MAX_JSON_CANDIDATES = 64;
const MAX_REASON_CHARS = 1_000;
const MAX_EVIDENCE = 16;
const MAX_EVIDENCE_FIELD = 500;
const MAX_NARROWED_ARGS = 64;
const MAX_VALUE_DEPTH = 8;
const MAX_SCOPES = 64;

/** The order of the verdict's properties in every schema we send: reasoning first, so the model reasons before it decides. */
export const VERDICT_PROPERTY_ORDER = ['reasoning', 'decision', 'narrowed_args', 'narrowed_scopes', 'confidence', 'evidence'] as const;

const DECISIONS = ['allow', 'deny', 'narrow'] as const;

const EVIDENCE_ITEM_SCHEMA = {
  type: 'object',
  properties: {
    arg: { type: 'string', description: 'The argument this evidence is about, when it is about one.' },
    source: { type: 'string', description: 'Where the value came from: task, a tool result (name and #index), nowhere, or the policy boundary.' },
    detail: { type: 'string', description: 'One sentence: why this matters for the decision.' },
  },
  required: ['source', 'detail'],
} as const;

/**
 * The verdict's JSON Schema for providers that take an arbitrary schema (the
 * Anthropic tool's `input_schema`, Ollama's `format`). Property order is
 * `VERDICT_PROPERTY_ORDER`.
 */
export function verdictJsonSchema(): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      reasoning: { type: 'string', description: 'Step-by-step reasoning, written before the decision.' },
      decision: { type: 'string', enum: [...DECISIONS] },
      narrowed_args: {
        type: 'object',
        description: 'For narrow: replacement values for the arguments to tighten, keyed by argument name.',
        additionalProperties: true,
      },
      narrowed_scopes: { type: 'array', items: { type: 'string' }, description: 'For narrow: the scopes to keep.' },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      evidence: { type: 'array', items: EVIDENCE_ITEM_SCHEMA },
    },
    required: ['reasoning', 'decision', 'confidence'],
  };
}

/**
 * The verdict's JSON Schema in the subset OpenAI's strict structured outputs
 * accept: every property required, optional ones nullable, no open objects. So
 * `narrowed_args` is a list of `{ arg, value }` pairs here; the parser accepts
 * both shapes and normalises to an object.
 */
export function strictVerdictJsonSchema(): Record<string, unknown> {
  const scalar = { type: ['string', 'number', 'boolean', 'null'] };
  return {
    type: 'object',
    properties: {
      reasoning: { type: 'string', description: 'Step-by-step reasoning, written before the decision.' },
      decision: { type: 'string', enum: [...DECISIONS] },
      narrowed_args: {
        type: ['array', 'null'],
        description: 'For narrow: replacement values for the arguments to tighten; null otherwise.',
        items: {
          type: 'object',
          properties: {
            arg: { type: 'string' },
            value: { anyOf: [scalar, { type: 'array', items: scalar }] },
          },
          required: ['arg', 'value'],
          additionalProperties: false,
        },
      },
      narrowed_scopes: { type: ['array', 'null'], items: { type: 'string' }, description: 'For narrow: the scopes to keep; null otherwise.' },
      confidence: { type: 'number', description: 'From 0 to 1.' },
      evidence: {
        type: ['array', 'null'],
        items: {
          type: 'object',
          properties: {
            arg: { type: ['string', 'null'] },
            source: { type: 'string' },
            detail: { type: 'string' },
          },
          required: ['arg', 'source', 'detail'],
          additionalProperties: false,
        },
      },
    },
    required: [...VERDICT_PROPERTY_ORDER],
    additionalProperties: false,
  };
}

/** A verdict as the model gave it, validated and normalised; provider, timing and prompt are added by the judge. */
export interface ModelVerdict {
  readonly reasoning: string;
  readonly decision: VerdictDecision;
  readonly narrowedArgs?: Readonly<Record<string, unknown>> | undefined;
  readonly narrowedScopes?: readonly string[] | undefined;
  readonly confidence: number;
  readonly evidence: readonly Evidence[];
}

export type VerdictParse =
  | { readonly ok: true; readonly verdict: ModelVerdict }
  | { readonly ok: false; readonly code: 'IG_JUDGE_INVALID_OUTPUT'; readonly message: string };

// Some models (and tool-input encoders) send a nested field as a JSON string; unwrap that one level.
function jsonStringOr(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return value;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return value;
  }
}

const decisionSchema = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(DECISIONS));

const narrowedArgsSchema = z.preprocess(
  jsonStringOr,
  z.union([
    z.record(z.string(), z.unknown()),
    z.array(z.object({ arg: z.string().min(1), value: z.unknown() })).transform((pairs) => {
      const out: Record<string, unknown> = {};
      for (const p of pairs) out[p.arg] = p.value;
      return out;
    }),
  ]),
);

const modelVerdictSchema = z.object({
  reasoning: z.string(),
  decision: decisionSchema,
  narrowed_args: narrowedArgsSchema.nullish(),
  narrowed_scopes: z.preprocess(jsonStringOr, z.array(z.string()).max(MAX_SCOPES)).nullish(),
  confidence: z.number().min(0).max(1),
  evidence: z
    .preprocess(
      jsonStringOr,
      z.array(z.object({ arg: z.string().nullish(), source: z.string(), detail: z.string() })),
    )
    .nullish(),
});

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_VALUE_DEPTH) return depth;
  if (value === null || typeof value !== 'object') return depth;
  let max = depth + 1;
  for (const v of Array.isArray(value) ? value : Object.values(value as Record<string, unknown>)) {
    max = Math.max(max, depthOf(v, depth + 1));
    if (max > MAX_VALUE_DEPTH) break;
  }
  return max;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fail(message: string): VerdictParse {
  return { ok: false, code: 'IG_JUDGE_INVALID_OUTPUT', message };
}

/** Validates a verdict object taken from the model's structured field (a tool call's input, a parsed reply). */
export function parseVerdictObject(value: unknown): VerdictParse {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('the reply is not a JSON object');
  const parsed = modelVerdictSchema.safeParse(value);
  if (!parsed.success) {
    // Paths and zod's messages only: the model's text is not echoed into logs and audit.
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    return fail(`the verdict does not validate: ${issues.join('; ')}`);
  }
  const v = parsed.data;
  const narrowedArgs = v.narrowed_args ?? undefined;
  const narrowedScopes = v.narrowed_scopes ?? undefined;
  if (narrowedArgs !== undefined) {
    if (Object.keys(narrowedArgs).length > MAX_NARROWED_ARGS) return fail('narrowed_args has too many arguments');
    if (depthOf(narrowedArgs) > MAX_VALUE_DEPTH) return fail('narrowed_args is nested too deeply');
  }
  const hasArgs = narrowedArgs !== undefined && Object.keys(narrowedArgs).length > 0;
  const hasScopes = narrowedScopes !== undefined && narrowedScopes.length > 0;
  if (v.decision === 'narrow' && !hasArgs && !hasScopes) return fail('decision is narrow but names no argument or scope to narrow');
  const evidence: Evidence[] = (v.evidence ?? []).slice(0, MAX_EVIDENCE).map((e) => ({
    ...(e.arg ? { arg: clip(e.arg, 200) } : {}),
    source: clip(e.source, 200),
    detail: clip(e.detail, MAX_EVIDENCE_FIELD),
  }));
  // Only a narrow verdict carries a narrowing; the fields of allow/deny are ignored. The narrowing is
  // kept exactly as proposed (even when it would widen): clamping is the guard's job, done with src/scope.
  return {
    ok: true,
    verdict: {
      reasoning: clip(v.reasoning.trim(), MAX_REASON_CHARS),
      decision: v.decision,
      ...(v.decision === 'narrow' && hasArgs ? { narrowedArgs } : {}),
      ...(v.decision === 'narrow' && hasScopes ? { narrowedScopes } : {}),
      confidence: v.confidence,
      evidence,
    },
  };
}

/**
 * Finds the one JSON object in a model's text reply: the whole reply, or one
 * object inside code fences or prose. Zero objects, or several, is a failure:
 * we never pick one.
 */
export function extractJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (text.length > MAX_REPLY_CHARS) return { ok: false, message: `the reply is longer than ${MAX_REPLY_CHARS} characters` };
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return { ok: false, message: 'the reply is empty' };
  const whole = tryParseJson(trimmed);
  if (whole.parsed) {
    // A reply that is JSON as a whole must be the object itself (not an array or string wrapping one).
    const v = whole.value;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? { ok: true, value: v as Record<string, unknown> }
      : { ok: false, message: 'the reply is JSON but not an object' };
  }
  const found: Record<string, unknown>[] = [];
  let attempts = 0;
  let i = trimmed.indexOf('{');
  while (i !== -1) {
    if (++attempts > MAX_JSON_CANDIDATES) return { ok: false, message: 'the reply has too many brace groups to read' };
    const end = matchingBrace(trimmed, i);
    const obj = end === -1 ? undefined : tryParseObject(trimmed.slice(i, end + 1));
    if (obj) {
      found.push(obj);
      if (found.length > 1) return { ok: false, message: 'the reply holds several JSON objects' };
      i = trimmed.indexOf('{', end + 1);
    } else {
      i = trimmed.indexOf('{', i + 1);
    }
  }
  const only = found[0];
  return only ? { ok: true, value: only } : { ok: false, message: 'the reply holds no JSON object' };
}

/** Parses a model's text reply into a verdict (see `extractJsonObject` for what is tolerated). */
export function parseVerdictText(text: string): VerdictParse {
  const extracted = extractJsonObject(text);
  if (!extracted.ok) return fail(extracted.message);
  return parseVerdictObject(extracted.value);
}

function tryParseJson(text: string): { parsed: true; value: unknown } | { parsed: false } {
  try {
    return { parsed: true, value: JSON.parse(text) as unknown };
  } catch {
    return { parsed: false };
  }
}

function tryParseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Index of the `}` closing the `{` at `start` (string-aware), or -1. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
