import { isScalar } from 'yaml';
import type { Scalar as YamlScalar } from 'yaml';
import type { z } from 'zod';
import { IntentguardError } from '../errors.js';
import type { ErrorLocation } from '../errors.js';
import { parseLocatedYaml, type LocatedDocument } from '../yaml.js';
import { POLICY_LIMITS, PolicyFileSchema } from './schema.js';
import type { PolicyFile } from './schema.js';

/** One policy file after YAML parsing and schema validation, still able to name lines. */
export interface ParsedPolicyFile {
  readonly file: string;
  readonly spec: PolicyFile;
  /** The 1-based line of the node at `path` (or of its nearest existing ancestor). */
  lineOf(path: readonly (string | number)[]): number;
  /** Where the text of a string scalar at `path` starts: its line, and whether it is a `|` block (text begins a line below). */
  scalarAt(path: readonly (string | number)[]): { line: number; block: boolean };
}

type PathSeg = string | number;

/** The rule id at `rules[i]` of the raw data, when it is readable, to name it in errors. */
function ruleIdAt(raw: unknown, path: readonly PathSeg[]): string | undefined {
  if (path[0] !== 'rules' || typeof path[1] !== 'number' || typeof raw !== 'object' || raw === null) return undefined;
  const rules = (raw as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return undefined;
  const rule: unknown = rules[path[1]];
  if (typeof rule !== 'object' || rule === null) return undefined;
  const id = (rule as { id?: unknown }).id;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

function valueAt(raw: unknown, path: readonly PathSeg[]): unknown {
  let v: unknown = raw;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<PathSeg, unknown>)[seg];
  }
  return v;
}

function describePath(path: readonly PathSeg[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * Parses and validates one policy file. Throws `IG_POLICY_INVALID` naming
 * file, line and (when known) rule for bad YAML, unknown keys and bad values.
 */
export function parsePolicyText(file: string, text: string): ParsedPolicyFile {
  if (Buffer.byteLength(text, 'utf8') > POLICY_LIMITS.fileBytes) {
    throw new IntentguardError('IG_POLICY_INVALID', `policy file is larger than ${POLICY_LIMITS.fileBytes} bytes`, { location: { file } });
  }
  const doc = parseLocatedYaml(file, text, { code: 'IG_POLICY_INVALID', maxAliasCount: 50 });
  const raw = doc.value;
  if (raw === null || raw === undefined) {
    throw new IntentguardError('IG_POLICY_INVALID', 'policy file is empty (expected `version: 1` and `rules:`)', { location: { file, line: 1 } });
  }

  const lineOf = (path: readonly PathSeg[]): number => doc.lineOf(path) ?? 1;

  const result = PolicyFileSchema.safeParse(raw);
  if (!result.success) {
    const located = result.error.issues.map((issue) => issueLocation(doc, raw, issue));
    located.sort((a, b) => a.line - b.line);
    const first = located[0]!;
    const more = located.length > 1 ? ` (and ${located.length - 1} more problem${located.length > 2 ? 's' : ''})` : '';
    const location: ErrorLocation = { file, line: first.line };
    if (first.rule !== undefined) location.rule = first.rule;
    throw new IntentguardError('IG_POLICY_INVALID', `${first.message}${more}`, { location });
  }

  const scalarAt = (path: readonly PathSeg[]): { line: number; block: boolean } => {
    const { node } = doc.nodeAt(path);
    const offset = node?.range?.[0];
    const line = offset === undefined ? 1 : doc.lineAt(offset);
    const type = isScalar(node) ? (node as YamlScalar).type : undefined;
    return { line, block: type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED' };
  };

  return Object.freeze({ file, spec: result.data, lineOf, scalarAt });
}

function issueLocation(doc: LocatedDocument, raw: unknown, issue: z.core.$ZodIssue): { line: number; rule: string | undefined; message: string } {
  const path = issue.path.filter((s): s is PathSeg => typeof s === 'string' || typeof s === 'number');
  const at = doc.nodeAt(path);
  let node = at.node;
  const keyNode = at.keyNode;
  let where = describePath(path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const found = doc.nodeAt([...path, key]);
    node = found.keyNode ?? found.node;
    where = describePath([...path, key]);
    message = `unknown field \`${key}\`${issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : ''}`;
  } else if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator === 'effect') {
    message = 'effect must be one of deny, ask, judge, allow';
  } else if (valueAt(raw, path) === undefined) {
    message = 'missing required field';
  }
  const offset = (node ?? keyNode)?.range?.[0];
  const line = offset === undefined ? 1 : doc.lineAt(offset);
  return { line, rule: ruleIdAt(raw, path), message: where ? `${where}: ${message}` : message };
}
