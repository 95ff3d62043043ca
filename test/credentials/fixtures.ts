import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CredentialRequest } from '../../src/credentials/types.js';

/** Temporary state dirs, removed by `cleanup`. */
export class TempDirs {
  readonly #dirs: string[] = [];

  make(prefix = 'ig-cred-'): string {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    this.#dirs.push(d);
    return d;
  }

  cleanup(): void {
    for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** A credential request for one narrowed call. */
export function request(overrides: Partial<CredentialRequest> = {}): CredentialRequest {
  return {
    txn: 'txn-1',
    call: { server: 'files', tool: 'read_file', args: { path: '/data/report.txt', limit: 500 } },
    grant: { scopes: ['files:read'], args: { path: '/data/report.txt', limit: 100 } },
    principal: { agent: 'claude', user: 'alice' },
    audience: 'urn:intentguard:upstream:files',
    ttlSeconds: 60,
    ...overrides,
  };
}

/** The payload of a compact JWS, decoded without verification (tests only). */
export function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function headerOf(token: string): Record<string, unknown> {
  const part = token.split('.')[0] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
