import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { BIN, ROOT } from './cli.js';

const require = createRequire(import.meta.url);

/** The entry script of an npm MCP server package, by its package.json `bin`. */
export function serverEntry(pkg: string): string {
  const file = require.resolve(`${pkg}/package.json`);
  const bin = (JSON.parse(readFileSync(file, 'utf8')) as { bin: Record<string, string> }).bin;
  return path.join(path.dirname(file), Object.values(bin)[0]!);
}

export const ECHO_SERVER = path.join(ROOT, 'test/helpers/echo-server.mjs');
export const FILESYSTEM_SERVER = serverEntry('@modelcontextprotocol/server-filesystem');
export const EVERYTHING_SERVER = serverEntry('@modelcontextprotocol/server-everything');

/** A scratch directory for one test file: policies, audit log, state, workspace. */
export class Scratch {
  readonly dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ig-proxy-e2e-')));

  file(name: string, text: string): string {
    const p = path.join(this.dir, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** Audit records of a log, parsed. */
  audit(name = 'audit.jsonl'): Record<string, unknown>[] {
    return readFileSync(this.path(name), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ProxyArgs {
  readonly policy: string;
  readonly server: string;
  readonly upstream: readonly string[];
  readonly audit: string;
  readonly stateDir: string;
  readonly task?: string | undefined;
  readonly mode?: 'enforce' | 'shadow' | undefined;
  readonly extra?: readonly string[] | undefined;
}

/** The argv of the built CLI running the stdio proxy. */
export function proxyArgv(a: ProxyArgs): string[] {
  return [
    BIN,
    'proxy',
    '--policy',
    a.policy,
    '--audit',
    a.audit,
    '--state-dir',
    a.stateDir,
    '--server',
    a.server,
    ...(a.task ? ['--task', a.task] : []),
    ...(a.mode ? ['--mode', a.mode] : []),
    ...(a.extra ?? []),
    '--',
    ...a.upstream,
  ];
}

/** An SDK v2 client connected to the stdio proxy (spawned by the SDK's StdioClientTransport). */
export async function connectThroughProxy(
  a: ProxyArgs,
  options: { capabilities?: Record<string, unknown>; env?: Record<string, string>; setup?: (c: Client) => void } = {},
): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: proxyArgv(a),
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities: (options.capabilities ?? {}) as never });
  options.setup?.(client);
  await client.connect(transport);
  return { client, transport, stderr: () => err };
}

/** The text blocks of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text ?? '')
    .join('\n');
}
