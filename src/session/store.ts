import { LRUCache } from 'lru-cache';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { IntentguardError } from '../errors.js';
import { Session } from './session.js';
import type { LedgerLimits } from './ledger.js';
import type { Principal } from './types.js';

/** Options of the session store. */
export interface SessionStoreOptions {
  /** Sessions kept at most; the least recently used is dropped first. Default 10 000. */
  readonly max?: number;
  /** A session idle longer than this is forgotten. Default 1 hour. */
  readonly idleTtlMs?: number;
  /** Denial budget of new sessions (see {@link Session}). */
  readonly denialBudget?: number;
  readonly maxHistory?: number;
  readonly ledger?: LedgerLimits;
  readonly clock?: Clock;
}

/**
 * Sessions by id: an LRU with an idle TTL, so a front that never hears a
 * session end still holds bounded memory. Reading a session refreshes it.
 */
export class SessionStore {
  private readonly cache: LRUCache<string, Session>;
  private readonly options: SessionStoreOptions;

  constructor(options: SessionStoreOptions = {}) {
    this.options = options;
    const clock = options.clock ?? systemClock;
    this.cache = new LRUCache<string, Session>({
      max: Math.max(1, options.max ?? 10_000),
      ttl: Math.max(1, options.idleTtlMs ?? 3_600_000),
      updateAgeOnGet: true,
      updateAgeOnHas: false,
      // The store's notion of time is the injected clock; no timers, no cached "now".
      ttlResolution: 0,
      ttlAutopurge: false,
      perf: { now: () => clock.now() },
    });
  }

  /** The session with this id, or undefined when unknown or idle past the TTL. */
  get(id: string): Session | undefined {
    return this.cache.get(id);
  }

  /**
   * The session with this id, created with `init` when absent. A different
   * task in `init` replaces the current task (the orchestrator sent a newer
   * one). A session never changes hands: an id presented by another agent or
   * user is refused with `IG_FORBIDDEN` rather than sharing its history.
   */
  getOrCreate(id: string, init: { readonly task: string; readonly principal: Principal }): Session {
    const existing = this.cache.get(id);
    if (existing !== undefined) {
      if (existing.principal.agent !== init.principal.agent || existing.principal.user !== init.principal.user) {
        throw new IntentguardError('IG_FORBIDDEN', 'this session belongs to another principal');
      }
      if (init.task !== '' && init.task !== existing.task) existing.setTask(init.task);
      return existing;
    }
    const session = new Session({
      id,
      task: init.task,
      principal: init.principal,
      ...(this.options.denialBudget !== undefined ? { denialBudget: this.options.denialBudget } : {}),
      ...(this.options.maxHistory !== undefined ? { maxHistory: this.options.maxHistory } : {}),
      ...(this.options.ledger !== undefined ? { ledger: this.options.ledger } : {}),
    });
    this.cache.set(id, session);
    return session;
  }

  /** Forgets a session (e.g. the transport closed). */
  delete(id: string): boolean {
    return this.cache.delete(id);
  }

  /** Sessions currently held (stale ones may still count until touched). */
  get size(): number {
    return this.cache.size;
  }
}
