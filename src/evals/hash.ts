import { createHash } from 'node:crypto';

/** Canonical JSON (sorted keys, no whitespace) is the audit log's: one definition for hashes and cache keys. */
export { canonicalJson } from '../audit/canonical.js';

/** Hex sha256 of bytes or text (dataset files are hashed as bytes, exactly as stored). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
