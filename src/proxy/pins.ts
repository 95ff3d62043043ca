import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalHash } from '../canonical.js';
import { systemClock, type Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import type { ToolSpec } from '../session/types.js';
import { isPlainObject } from './jsonrpc.js';

/**
 * Tool pinning (trust on first use): the first time a server's tool is seen,
 * the hash of its definition is written to `<state_dir>/pins.json`; a later
 * definition with another hash is recorded as pending and the tool's calls
 * are denied until an operator approves it (`intentguard tools approve`).
 * The defence against a server that changes a tool after it was trusted.
 */

export const PINS_FILE = 'pins.json';

/** One pinned tool. */
export interface PinRecord {
  /** sha256 of the canonical JSON of the approved definition. */
  readonly hash: string;
  readonly firstSeen: string;
  readonly approvedAt?: string | undefined;
  /** A definition seen since, that differs from the pinned one and awaits approval. */
  readonly pending?: { readonly hash: string; readonly seenAt: string } | undefined;
}

interface PinFile {
  version: 1;
  servers: Record<string, Record<string, PinRecord>>;
}

export type PinStatus = 'new' | 'pinned' | 'changed';

export interface PinCheck {
  readonly status: PinStatus;
  /** Hash of the definition just seen. */
  readonly hash: string;
  /** Hash it was pinned with (for `changed`). */
  readonly pinned?: string | undefined;
}

export interface PinListing {
  readonly server: string;
  readonly tool: string;
  readonly status: 'pinned' | 'changed';
  readonly hash: string;
  readonly firstSeen: string;
  readonly pendingHash?: string | undefined;
  readonly pendingSince?: string | undefined;
}

/** Definitions are hashed as canonical JSON: equal definitions hash equally whatever their key order. */
export { canonicalJson } from '../canonical.js';

/**
 * The pinned part of a tool's definition: what the model reads and what shapes the call.
 * @throws IntentguardError IG_INPUT_INVALID for a definition with no canonical JSON form (nested deeper than 512
 * levels); the router then treats the tool as changed (fail closed).
 */
export function toolDefinitionHash(tool: ToolSpec & { readonly title?: unknown }): string {
  const definition = {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    annotations: tool.annotations,
  };
  return canonicalHash(definition);
}

function fileStamp(file: string): string {
  const st = statSync(file);
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

function emptyFile(): PinFile {
  return { version: 1, servers: {} };
}

function parsePinFile(file: string, text: string): PinFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new IntentguardError('IG_INPUT_INVALID', 'the tool pin file is not valid JSON', { location: { file } });
  }
  if (!isPlainObject(data) || data.version !== 1 || !isPlainObject(data.servers)) {
    throw new IntentguardError('IG_INPUT_INVALID', 'the tool pin file is not a version 1 pin file', { location: { file } });
  }
  const servers: PinFile['servers'] = {};
  for (const [server, tools] of Object.entries(data.servers)) {
    if (!isPlainObject(tools)) continue;
    const out: Record<string, PinRecord> = {};
    for (const [tool, rec] of Object.entries(tools)) {
      if (!isPlainObject(rec) || typeof rec.hash !== 'string' || typeof rec.firstSeen !== 'string') {
        throw new IntentguardError('IG_INPUT_INVALID', `pin of ${server}/${tool} is malformed`, { location: { file, path: `servers.${server}.${tool}` } });
      }
      const pending = isPlainObject(rec.pending) && typeof rec.pending.hash === 'string' && typeof rec.pending.seenAt === 'string' ? { hash: rec.pending.hash, seenAt: rec.pending.seenAt } : undefined;
      out[tool] = {
        hash: rec.hash,
        firstSeen: rec.firstSeen,
        ...(typeof rec.approvedAt === 'string' ? { approvedAt: rec.approvedAt } : {}),
        ...(pending ? { pending } : {}),
      };
    }
    servers[server] = out;
  }
  return { version: 1, servers };
}

/**
 * The pin file of one state directory. Reads are served from memory and
 * refreshed when the file changed on disk (another process approved a tool);
 * every write re-reads the file, applies one change and replaces the file
 * atomically (temporary file + rename, mode 0600).
 */
export class PinStore {
  private data: PinFile;
  private stamp = '';
  private readonly clock: Clock;
  readonly file: string;

  private constructor(file: string, clock: Clock) {
    this.file = file;
    this.clock = clock;
    this.data = emptyFile();
  }

  /** Opens (without creating) the pin file in `stateDir`. Throws `IG_INPUT_INVALID` for a malformed file. */
  static open(stateDir: string, options: { clock?: Clock | undefined } = {}): PinStore {
    const store = new PinStore(path.join(stateDir, PINS_FILE), options.clock ?? systemClock);
    store.refresh(true);
    return store;
  }

  /**
   * Records a definition seen from an upstream's `tools/list`: pins it when the
   * tool is new, notes it as pending when it differs from the pin.
   */
  check(server: string, tool: ToolSpec): PinCheck {
    const hash = toolDefinitionHash(tool);
    this.refresh(false);
    const rec = this.data.servers[server]?.[tool.name];
    if (!rec) {
      this.update((file) => {
        const tools = (file.servers[server] ??= {});
        if (!tools[tool.name]) tools[tool.name] = { hash, firstSeen: this.now() };
      });
      return { status: 'new', hash };
    }
    if (rec.hash === hash) return { status: 'pinned', hash };
    if (rec.pending?.hash !== hash) {
      this.update((file) => {
        const current = file.servers[server]?.[tool.name];
        if (current && current.hash !== hash && current.pending?.hash !== hash) {
          file.servers[server]![tool.name] = { ...current, pending: { hash, seenAt: this.now() } };
        }
      });
    }
    return { status: 'changed', hash, pinned: rec.hash };
  }

  /** True when `hash` is the approved definition of the tool now (re-reads the file if it changed on disk). */
  isApproved(server: string, tool: string, hash: string): boolean {
    this.refresh(false);
    return this.data.servers[server]?.[tool]?.hash === hash;
  }

  /**
   * Approves the pending definition of one tool (or of every tool of `server`
   * with `tool` undefined). Returns the tools approved.
   */
  approve(server: string, tool?: string | undefined): string[] {
    const approved: string[] = [];
    this.update((file) => {
      const tools = file.servers[server];
      if (!tools) return;
      for (const [name, rec] of Object.entries(tools)) {
        if (tool !== undefined && name !== tool) continue;
        if (!rec.pending) continue;
        tools[name] = { hash: rec.pending.hash, firstSeen: rec.firstSeen, approvedAt: this.now() };
        approved.push(name);
      }
    });
    return approved;
  }

  list(server?: string | undefined): PinListing[] {
    this.refresh(false);
    const out: PinListing[] = [];
    for (const [s, tools] of Object.entries(this.data.servers)) {
      if (server !== undefined && s !== server) continue;
      for (const [tool, rec] of Object.entries(tools)) {
        out.push({
          server: s,
          tool,
          status: rec.pending ? 'changed' : 'pinned',
          hash: rec.hash,
          firstSeen: rec.firstSeen,
          ...(rec.pending ? { pendingHash: rec.pending.hash, pendingSince: rec.pending.seenAt } : {}),
        });
      }
    }
    return out.sort((a, b) => a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool));
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private refresh(strict: boolean): void {
    // The file is replaced by rename, so its inode changes with every write, whoever wrote it.
    let stamp: string;
    try {
      stamp = fileStamp(this.file);
    } catch {
      this.data = emptyFile();
      this.stamp = '';
      return;
    }
    if (stamp === this.stamp) return;
    try {
      this.data = parsePinFile(this.file, readFileSync(this.file, 'utf8'));
      this.stamp = stamp;
    } catch (e) {
      if (strict) throw e;
      // Keep the last good pins: a half-edited file must not unpin anything.
    }
  }

  private update(change: (file: PinFile) => void): void {
    this.refresh(false);
    const next: PinFile = structuredClone(this.data);
    change(next);
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean up
      }
      throw new IntentguardError('IG_INTERNAL', `cannot write the tool pin file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {
        location: { file: this.file },
        cause: e,
      });
    }
    this.data = next;
    try {
      this.stamp = fileStamp(this.file);
    } catch {
      this.stamp = '';
    }
  }
}
