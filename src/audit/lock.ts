import { randomUUID } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';

/** Held by the one process that appends to an audit log; two writers would fork the chain. */
export interface WriterLock {
  readonly path: string;
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const h = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<file>.lock`. The lock is created with its content in one step (a
 * private temp file hard-linked into place), so a crash never leaves an empty
 * lock. A lock left by a dead process on this host is taken over. One held by
 * a live process (or by another host) is waited for up to `waitMs` — short-lived
 * writers such as `intentguard decide` then take turns — and refused with
 * IG_AUDIT_WRITE after that.
 */
export async function acquireWriterLock(file: string, options: { readonly waitMs?: number | undefined; readonly clock: Clock }): Promise<WriterLock> {
  const lockPath = `${file}.lock`;
  const me: Holder = { pid: process.pid, host: os.hostname() };
  const tmp = `${lockPath}.${process.pid}.${randomUUID()}`;
  const deadline = options.clock.now() + Math.max(0, options.waitMs ?? 0);
  try {
    await writeFile(tmp, JSON.stringify(me), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new IntentguardError('IG_AUDIT_WRITE', `cannot create the writer lock ${lockPath}: ${(e as Error).message}`, { location: { file }, cause: e });
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, lockPath);
        return { path: lockPath, release: () => unlink(lockPath).catch(() => undefined) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new IntentguardError('IG_AUDIT_WRITE', `cannot create the writer lock ${lockPath}: ${(e as Error).message}`, { location: { file }, cause: e });
        }
      }
      const holder = await readHolder(lockPath);
      // Our own pid can only be a previous incarnation: this process checks its own open logs first.
      const stale = holder !== undefined && holder.host === me.host && (holder.pid === me.pid || !isAlive(holder.pid));
      if (stale) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (options.clock.now() >= deadline) {
        const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'another writer';
        throw new IntentguardError('IG_AUDIT_WRITE', `audit log ${file} is being written by ${who} (lock ${lockPath}); if no such writer runs, delete the lock file`, {
          location: { file },
        });
      }
      // Back off: 5, 10, 20, 40, then every 50 ms.
      await delay(Math.min(50, 5 * 2 ** Math.min(attempt, 4)));
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
