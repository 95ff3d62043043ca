import { canonicalJson, sha256Hex } from '../canonical.js';
import type { AuditRecord } from './types.js';

/** The `prev` of the first record. */
export const GENESIS = '0'.repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The hash of a record: SHA-256 hex of the canonical JSON of everything but `hash`. */
export function hashRecord(record: Readonly<Record<string, unknown>>): string {
  return sealRecord(record).hash;
}

/**
 * One serialisation pass for what the chain needs: the hash (over the record
 * without `hash`) and the canonical line of the record with that hash. Top-level
 * members are serialised once and joined twice.
 */
export function sealRecord(record: Readonly<Record<string, unknown>>): { readonly hash: string; readonly line: string } {
  const members: [string, string][] = [];
  for (const k of Object.keys(record).sort()) {
    if (k === 'hash') continue;
    const v = record[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    members.push([k, `${JSON.stringify(k)}:${canonicalJson(v)}`]);
  }
  const hash = sha256Hex(`{${members.map((m) => m[1]).join(',')}}`);
  const at = members.findIndex(([k]) => k > 'hash');
  members.splice(at === -1 ? members.length : at, 0, ['hash', `"hash":"${hash}"`]);
  return { hash, line: `{${members.map((m) => m[1]).join(',')}}` };
}

export type LineCheck =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly reason: string; readonly seq?: number | undefined; readonly parsed: boolean };

/**
 * Checks one line on its own (not its place in the chain): valid UTF-8 and
 * JSON, byte-for-byte canonical (so no edit can hide in formatting), the
 * fields the log adds, and a hash that recomputes.
 */
export function checkLine(bytes: Uint8Array): LineCheck {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'is not valid UTF-8', parsed: false };
  }
  if (text === '') return { ok: false, reason: 'is empty', parsed: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'is not valid JSON', parsed: false };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'is not a JSON object', parsed: false };
  const rec = parsed as Record<string, unknown>;
  const seq = Number.isSafeInteger(rec['seq']) && (rec['seq'] as number) > 0 ? (rec['seq'] as number) : undefined;
  if (typeof rec['hash'] !== 'string' || !HEX64.test(rec['hash'])) return { ok: false, reason: 'has no valid hash', seq, parsed: true };
  const sealed = sealRecord(rec);
  // The stored hash is put back where canonical order puts it: the line must then be exactly the canonical text.
  const stored = sealed.line.replace(`"hash":"${sealed.hash}"`, `"hash":"${rec['hash']}"`);
  if (stored !== text) return { ok: false, reason: 'is not in canonical form (its bytes were altered)', seq, parsed: true };
  if (seq === undefined) return { ok: false, reason: 'has no valid seq', parsed: true };
  if (typeof rec['type'] !== 'string') return { ok: false, reason: 'has no type', seq, parsed: true };
  if (typeof rec['ts'] !== 'string') return { ok: false, reason: 'has no ts', seq, parsed: true };
  if (typeof rec['prev'] !== 'string' || !HEX64.test(rec['prev'])) return { ok: false, reason: 'has no valid prev hash', seq, parsed: true };
  if (sealed.hash !== rec['hash']) return { ok: false, reason: "hash does not match the record's content", seq, parsed: true };
  return { ok: true, record: rec as unknown as AuditRecord };
}
