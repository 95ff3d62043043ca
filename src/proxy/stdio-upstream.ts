import { spawn, type ChildProcess } from 'node:child_process';
import { systemClock, type Clock } from '../clock.js';
import { processEnv } from '../env.js';
import { IntentguardError } from '../errors.js';
import { LineFramer } from './framing.js';
import { isPlainObject, type JsonRpcMessage } from './jsonrpc.js';
import type { Link } from './link.js';
import { silentLog, type ProxyLog } from './log.js';

/** Default cap on one frame from an upstream server (tool results can be large). */
export const DEFAULT_UPSTREAM_MAX_FRAME = 16 * 1024 * 1024;

export interface ChildProcessLinkOptions {
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  /** Extra environment for the child, on top of the proxy's own. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
  readonly maxFrame?: number | undefined;
  /** First restart delay; doubles per consecutive failure up to `maxRestartDelayMs`. */
  readonly restartDelayMs?: number | undefined;
  readonly maxRestartDelayMs?: number | undefined;
  /** How long messages wait for a restarting server before their requests are failed. */
  readonly queueTimeoutMs?: number | undefined;
  /** Where the child's stderr goes: the proxy's stderr (default) or nowhere. */
  readonly stderr?: 'inherit' | 'ignore' | undefined;
  readonly log?: ProxyLog | undefined;
  readonly clock?: Clock | undefined;
}

type State = 'idle' | 'ready' | 'down' | 'reinitializing' | 'closed';

const REINIT_ID_PREFIX = 'intentguard-reinit-';
const MAX_QUEUE = 10_000;
const MAX_QUEUE_CHARS = 64 * 1024 * 1024;

/**
 * The upstream stdio link: one MCP server as a child process, spoken to with
 * newline-delimited JSON-RPC. When the child dies it is restarted with
 * exponential backoff; requests in flight are reported lost (`onreset`), and
 * the new child is re-initialised with the client's original `initialize`
 * params (its answer swallowed) before queued messages flow again.
 */
export class ChildProcessLink implements Link {
  onmessage?: Link['onmessage'];
  onproblem?: Link['onproblem'];
  onclose?: Link['onclose'];
  onerror?: Link['onerror'];
  onreset?: Link['onreset'];
  onpressure?: Link['onpressure'];
  readonly credentialCarrier = 'meta' as const;

  private child: ChildProcess | undefined;

  private spawned: Promise<void> | undefined;
  private state: State = 'idle';
  private generation = 0;
  private failures = 0;
  private startedAt = 0;
  private queue: string[] = [];
  private queueChars = 0;
  private pressured = false;
  private queueSince = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private initializeParams: Record<string, unknown> | undefined;
  private initializedSent = false;
  private reinitCount = 0;
  private readonly log: ProxyLog;
  private readonly clock: Clock;

  constructor(private readonly options: ChildProcessLinkOptions) {
    this.log = options.log ?? silentLog;
    this.clock = options.clock ?? systemClock;
  }

  /** The pid of the current child, for tests and logs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times the child was (re)started. */
  get starts(): number {
    return this.generation;
  }

  /**
   * Starts the server. A first start that cannot even spawn (no such command,
   * not executable) is a usage error, not something to retry forever.
   */
  async start(): Promise<void> {
    await this.spawnChild();
    const spawned = this.spawned;
    if (!this.child || !spawned) throw new IntentguardError('IG_USAGE', `cannot start the upstream server \`${this.options.command}\``);
    try {
      await spawned;
    } catch (e) {
      void this.close();
      const code = (e as NodeJS.ErrnoException).code;
      throw new IntentguardError('IG_USAGE', `cannot start the upstream server \`${this.options.command}\`: ${code ?? (e as Error).message}`);
    }
  }

  async send(message: JsonRpcMessage): Promise<void> {
    this.sendFrame(safeJson(message), message);
  }

  sendFrame(frame: string, message: JsonRpcMessage): void {
    if (this.state === 'closed') return;
    // JSON allows a raw carriage return (and U+2028/2029/0085) as whitespace, but line readers of other stacks
    // split on them: such a frame could smuggle a second message past the router. Send our own serialisation.
    frame = lineSafeFrame(frame, message);
    this.observe(message);
    if (this.state === 'ready') {
      this.write(frame);
      return;
    }
    if (this.queue.length >= MAX_QUEUE || this.queueChars + frame.length > MAX_QUEUE_CHARS) {
      this.log('warn', 'upstream queue full while the server restarts: failing queued requests');
      this.dropQueue('the upstream server is restarting and its queue is full');
      return;
    }
    if (this.queue.length === 0) {
      this.queueSince = this.clock.now();
      this.armQueueTimer();
    }
    this.queue.push(frame);
    this.queueChars += frame.length;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.restartTimer);
    clearTimeout(this.queueTimer);
    this.queue = [];
    this.queueChars = 0;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
        kill.unref();
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.stdin?.end();
        child.kill('SIGTERM');
      });
    }
    this.onclose?.();
  }

  /** Remembers the client's handshake so that a restarted server can be brought to the same state. */
  private observe(message: JsonRpcMessage): void {
    if (!('method' in message)) return;
    if (message.method === 'initialize' && 'id' in message) {
      this.initializeParams = message.params;
      this.initializedSent = false;
    } else if (message.method === 'notifications/initialized') {
      this.initializedSent = true;
    }
  }

  private write(frame: string): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed) return;
    if (!stdin.write(`${frame}\n`) && !this.pressured) {
      // The server is not reading: ask the router to stop reading from the client until it drains.
      this.pressured = true;
      this.onpressure?.(true);
      stdin.once('drain', () => this.release());
    }
  }

  private release(): void {
    if (!this.pressured) return;
    this.pressured = false;
    this.onpressure?.(false);
  }

  private async spawnChild(): Promise<void> {
    const generation = ++this.generation;
    const { command, args = [], env, cwd } = this.options;
    let child: ChildProcess;
    try {
      child = spawn(command, [...args], {
        stdio: ['pipe', 'pipe', this.options.stderr ?? 'inherit'],
        env: { ...processEnv(), ...env },
        ...(cwd === undefined ? {} : { cwd }),
      });
    } catch (e) {
      this.log('error', `cannot start the upstream server: ${e instanceof Error ? e.message : String(e)}`);
      this.scheduleRestart(generation, 'the upstream server could not be started');
      return;
    }
    this.child = child;
    // Listen for the outcome of the spawn at once: 'spawn'/'error' fire on the next tick, which can come before
    // any awaiting caller resumes (a start() called from an I/O callback would otherwise miss it and hang).
    this.spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    this.spawned.catch(() => undefined);
    this.startedAt = this.clock.now();
    const framer = new LineFramer(
      {
        frame: (line) => {
          if (generation !== this.generation) return;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            // A server that prints non-JSON on stdout is broken; the line is dropped, not forwarded.
            this.log('warn', 'dropped a line from the upstream server that is not JSON');
            return;
          }
          if (this.state === 'reinitializing' && this.isReinitResponse(value)) {
            this.finishReinit(value);
            return;
          }
          this.onmessage?.(value, undefined, line);
        },
        oversized: (info) => {
          if (generation === this.generation) this.onproblem?.({ kind: 'oversized', ...info });
        },
      },
      this.options.maxFrame ?? DEFAULT_UPSTREAM_MAX_FRAME,
    );
    child.stdout?.on('data', (chunk: Buffer) => framer.push(chunk));
    child.stdout?.on('end', () => framer.end());
    child.stdin?.on('error', () => {
      // EPIPE when the child died: the exit handler deals with it.
    });
    let spawned = false;
    child.once('spawn', () => (spawned = true));
    child.on('error', (e) => {
      // The very first spawn failing is start()'s to report; later ones are restarts that failed.
      if (!spawned && generation === 1) return;
      this.log('error', `upstream server error: ${e.message}`);
      this.onChildGone(generation, child, `the upstream server could not run (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    });
    child.on('exit', (code, signal) => {
      this.onChildGone(generation, child, `the upstream server exited (${signal ?? `code ${code}`})`);
    });

    if (this.initializeParams !== undefined) this.reinitialize();
    else this.becomeReady();
  }

  private onChildGone(generation: number, child: ChildProcess, reason: string): void {
    if (this.state === 'closed' || generation !== this.generation || this.child !== child) return;
    this.child = undefined;
    this.state = 'down';
    this.release();
    this.log('warn', `${reason}; restarting`);
    // Messages queued for the child that died were never delivered, and the reset below reports their calls as
    // lost: they must not run on the next child (a retried call would take effect twice).
    this.queue = [];
    this.queueChars = 0;
    clearTimeout(this.queueTimer);
    this.onreset?.(reason);
    this.scheduleRestart(generation, reason);
  }

  private scheduleRestart(generation: number, reason: string): void {
    if (this.state === 'closed' || generation !== this.generation) return;
    this.state = 'down';
    // A child that stayed up a while starts the backoff over.
    if (this.clock.now() - this.startedAt > 10_000) this.failures = 0;
    const base = this.options.restartDelayMs ?? 100;
    const max = this.options.maxRestartDelayMs ?? 5000;
    const delay = Math.min(max, base * 2 ** this.failures);
    this.failures++;
    this.log('debug', `restarting the upstream server in ${delay} ms (${reason})`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.spawnChild(), delay);
    this.restartTimer.unref();
  }

  private reinitialize(): void {
    this.state = 'reinitializing';
    const id = `${REINIT_ID_PREFIX}${++this.reinitCount}`;
    const child = this.child;
    this.write(JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: this.initializeParams }));
    // A server that never answers its handshake is as good as dead: kill it and let the backoff run.
    const timer = setTimeout(() => {
      if (this.state === 'reinitializing' && this.child === child) child?.kill('SIGKILL');
    }, this.options.queueTimeoutMs ?? 15_000);
    timer.unref();
  }

  private isReinitResponse(value: unknown): value is Record<string, unknown> {
    return isPlainObject(value) && value.id === `${REINIT_ID_PREFIX}${this.reinitCount}` && value.method === undefined;
  }

  private finishReinit(response: Record<string, unknown>): void {
    if ('error' in response) {
      this.log('error', 'the restarted upstream server refused the replayed initialize; restarting again');
      this.child?.kill('SIGKILL');
      return;
    }
    if (this.initializedSent) this.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    this.log('info', 'the upstream server restarted and was re-initialised');
    this.becomeReady();
  }

  private becomeReady(): void {
    this.state = 'ready';
    clearTimeout(this.queueTimer);
    const queued = this.queue;
    this.queue = [];
    this.queueChars = 0;
    for (const frame of queued) this.write(frame);
  }

  private armQueueTimer(): void {
    clearTimeout(this.queueTimer);
    const timeout = this.options.queueTimeoutMs ?? 15_000;
    this.queueTimer = setTimeout(() => {
      if (this.queue.length > 0 && this.clock.now() - this.queueSince >= timeout - 1) {
        this.dropQueue('the upstream server did not come back in time');
      }
    }, timeout);
    this.queueTimer.unref();
  }

  private dropQueue(reason: string): void {
    this.queue = [];
    this.queueChars = 0;
    clearTimeout(this.queueTimer);
    this.onreset?.(reason);
  }
}

/** Characters some line readers treat as line ends; none may appear raw in a frame sent to a child. */
const LINE_BREAKERS = /[\r\u2028\u2029\u0085]/;

/** The frame itself, or our own serialisation when the frame holds a raw line breaker. */
export function lineSafeFrame(frame: string, message: JsonRpcMessage): string {
  return LINE_BREAKERS.test(frame) ? safeJson(message) : frame;
}

/** JSON for one line: `JSON.stringify` escapes CR and LF; the other line breakers are escaped here. */
function safeJson(message: JsonRpcMessage): string {
  return JSON.stringify(message).replace(/[\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
