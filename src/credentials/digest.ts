import { createHash } from 'node:crypto';

/*
 * The argument digest that binds a credential to the exact arguments of one
 * call. Standalone on purpose (node:crypto only): `intentguard/verify` ships it
 * to tool authors, and the issuer and the verifier must compute the very same
 * bytes.
 *
 * The canonical form is RFC 8785 (JCS) for JSON data: object keys sorted by
 * UTF-16 code units, no whitespace, JavaScript's number and string
 * serialisation. Arguments arrive as parsed JSON on both sides, so values
 * outside JSON (undefined members, functions) follow JSON.stringify: dropped
 * from objects, null in arrays.
 */

/** Deepest nesting accepted; deeper arguments are refused rather than walked (hostile input). */
export const MAX_DIGEST_DEPTH = 64;

/** Raised for values that have no canonical JSON form (cycles, bigint, too deep). */
export class DigestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestError';
  }
}

/** Canonical JSON (JCS) of a JSON value. Throws `DigestError` for values outside JSON. */
export function canonicalJson(value: unknown): string {
  return write(value, [], false) ?? 'null';
}

/** `sha256` of the canonical JSON of the arguments, base64url without padding: the `args_digest` claim. */
export function argsDigest(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args ?? {}), 'utf8').digest('base64url');
}

function write(value: unknown, ancestors: object[], inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new DigestError('a bigint has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (ancestors.includes(obj)) throw new DigestError('the value is circular');
  if (ancestors.length >= MAX_DIGEST_DEPTH) throw new DigestError(`the value nests deeper than ${MAX_DIGEST_DEPTH} levels`);
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    ancestors.push(obj);
    const out = write((obj as { toJSON: () => unknown }).toJSON(), ancestors, inArray);
    ancestors.pop();
    return out;
  }
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    const items: string[] = [];
    for (const item of obj as unknown[]) items.push(write(item, ancestors, true) ?? 'null');
    out = `[${items.join(',')}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const members: string[] = [];
    // Default sort compares UTF-16 code units, which is what JCS prescribes.
    for (const key of Object.keys(record).sort()) {
      const v = write(record[key], ancestors, false);
      if (v !== undefined) members.push(`${JSON.stringify(key)}:${v}`);
    }
    out = `{${members.join(',')}}`;
  }
  ancestors.pop();
  return out;
}
