import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Runtime } from '../runtime/runtime.js';
import type { Principal } from '../session/types.js';
import { silentLog, type ProxyLog } from './log.js';
import { PinStore } from './pins.js';
import { Router } from './router.js';
import { StreamLink } from './stdio-front.js';
import { ChildProcessLink } from './stdio-upstream.js';

export interface StdioProxyOptions {
  readonly runtime: Runtime;
  /** The upstream's name, as policies match it (`server`). */
  readonly server: string;
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
  /** The session's task when calls carry none (`--task` / `INTENTGUARD_TASK`). */
  readonly task?: string | undefined;
  readonly principal?: Principal | undefined;
  /** Pin tool definitions (default true). */
  readonly pin?: boolean | undefined;
  /** Where pins live (default the config's `state_dir`). */
  readonly stateDir?: string | undefined;
  /** Client frame limit in characters (default 4 Mi). */
  readonly maxFrame?: number | undefined;
  readonly input?: Readable | undefined;
  readonly output?: Writable | undefined;
  readonly log?: ProxyLog | undefined;
}

/** The stdio principal: the local user who started the proxy, acting through an MCP client. */
export function localPrincipal(agent = 'mcp-client'): Principal {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = undefined;
  }
  return { agent, ...(user ? { user } : {}) };
}

/**
 * A name for an upstream started as `command args…`, for policies to match:
 * `@modelcontextprotocol/server-filesystem` and `mcp-server-filesystem` give
 * `filesystem`; otherwise the script or command's base name.
 */
export function deriveServerName(command: string, args: readonly string[] = []): string {
  for (const part of [command, ...args]) {
    const m = /(?:^|[/@\\])(?:mcp-server-|server-)([A-Za-z0-9][A-Za-z0-9_-]*)/.exec(part);
    if (m?.[1]) return m[1].slice(0, 64);
  }
  const script = args.find((a) => /\.(?:m?js|cjs|ts|py)$/.test(a));
  const base = path.basename(script ?? command).replace(/\.[A-Za-z0-9]+$/, '');
  const clean = base.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^-+/, '');
  return clean === '' || clean === 'index' || clean === 'main' ? 'upstream' : clean.slice(0, 64);
}

/**
 * Starts the stdio proxy: the client on `input`/`output` (the process's own
 * stdin/stdout by default), the upstream as a child process, one session.
 * Resolves once routing runs; `router.done` resolves when either side ends.
 */
export async function startStdioProxy(options: StdioProxyOptions): Promise<Router> {
  const { runtime } = options;
  const log = options.log ?? silentLog;
  const principal = options.principal ?? localPrincipal();
  const session = runtime.sessions.getOrCreate(randomUUID(), { task: options.task ?? '', principal });
  const pins = options.pin === false ? undefined : PinStore.open(options.stateDir ?? runtime.config.state_dir);
  // Static secrets of a stdio upstream can only go in at spawn (not per call); the router scrubs them from its answers.
  const spawnSecrets = runtime.credentials?.spawnSecrets(options.server) ?? {};
  const secretEnv = Object.fromEntries(Object.entries(spawnSecrets).map(([name, value]) => [name, value.reveal()]));
  const upstream = new ChildProcessLink({
    command: options.command,
    args: options.args,
    env: Object.keys(secretEnv).length > 0 ? { ...options.env, ...secretEnv } : options.env,
    cwd: options.cwd,
    log,
  });
  const client = new StreamLink(options.input ?? process.stdin, options.output ?? process.stdout, { maxFrame: options.maxFrame });
  const router = new Router({
    server: options.server,
    client,
    upstream,
    guard: runtime.guard,
    session,
    principal,
    audit: runtime.audit,
    pins,
    denyDetail: runtime.config.deny_detail,
    approvalTimeoutMs: runtime.config.approval.timeout_ms,
    secrets: Object.values(spawnSecrets),
    log,
  });
  await router.start();
  return router;
}
