import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../src/config/load.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';

/** A policy whose rules decide without the judge: allow, narrow (clamp) and deny. */
export const POLICY_ONLY = `version: 1
name: service-test
defaults:
  decision: deny
rules:
  - id: fs-read
    description: Reading inside /srv/data is routine
    match: { server: fs, tool: read_file }
    effect: allow
    scopes: [fs:read]
    args:
      path: { within: [/srv/data] }
  - id: fs-list
    description: Listing is fine, a few entries at a time
    match: { server: fs, tool: list }
    effect: allow
    scopes: [fs:list]
    args:
      limit: { max: 10 }
  - id: fs-no-delete
    description: Deleting files is never allowed
    match: { server: fs, tool: delete_file }
    effect: deny
`;

/** POLICY_ONLY with listing closed: a valid set that decides `fs/list` differently. */
export const POLICY_LIST_CLOSED = POLICY_ONLY.replace(
  /- id: fs-list[\s\S]*?limit: \{ max: 10 \}\n/,
  `- id: fs-list-closed
    match: { server: fs, tool: list }
    effect: deny
`,
);

export const API_KEY = 'test-key-0123456789abcdef';
export const ORCHESTRATOR_KEY = 'orchestrator-key-fedcba9876543210';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export interface Fixture {
  readonly dir: string;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  readonly auditFile: string;
  readonly policyFile: string;
  /** The audit log's records (after a flush). */
  records(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * A runtime and app in a fresh temporary folder: the given policy, the given
 * config (YAML, `policies` and `audit` filled in), audit with batch durability.
 */
export async function makeFixture(
  options: { policy?: string; config?: string; app?: Partial<AppOptions>; auth?: boolean } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ig-server-'));
  const policyFile = path.join(dir, 'policies', 'test.yaml');
  mkdirSync(path.dirname(policyFile), { recursive: true });
  writeFileSync(policyFile, options.policy ?? POLICY_ONLY);
  const auditFile = path.join(dir, 'audit.jsonl');
  const auth =
    options.auth === false
      ? ''
      : `server:
  auth:
    api_keys:
      - { id: agent-1, sha256: ${sha256Hex(API_KEY)}, agent: agent-1, user: alice }
      - { id: orchestrator, sha256: ${sha256Hex(ORCHESTRATOR_KEY)}, may_override_principal: true }
`;
  const configText = `policies: [policies]
audit: { file: audit.jsonl, durability: batch }
state_dir: state
judge: { spec: offline }
${options.config ?? auth}`;
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, configText);
  const loaded = parseConfig(configFile, configText);
  const runtime = await createRuntime(loaded);
  const app = await buildApp({ runtime, baseDir: dir, defaultMetrics: false, reloadDebounceMs: 50, ...options.app });
  await app.ready();
  return {
    dir,
    runtime,
    app,
    auditFile,
    policyFile,
    async records() {
      await runtime.audit.flush();
      const text = await readFile(auditFile, 'utf8');
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async close() {
      await app.close();
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const auth = (key: string = API_KEY): Record<string, string> => ({ authorization: `Bearer ${key}` });
