import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { IntentguardError } from '../errors.js';
import { Session } from '../session/session.js';
import type { SessionStore } from '../session/store.js';
import type { HistoryEntry, Principal, SessionState } from '../session/types.js';

/**
 * The service's view of guard sessions. A session id is bound to the principal
 * that created it: an agent presenting another principal's session id is
 * refused (`IG_FORBIDDEN`), so one agent can never read or pollute another's
 * history and provenance.
 */
export class ServiceSessions {
  readonly #store: SessionStore;
  readonly #config: Config;

  constructor(store: SessionStore, config: Config) {
    this.#store = store;
    this.#config = config;
  }

  /** Registers (or re-registers with a new task) a session; `POST /v1/sessions`. */
  register(id: string | undefined, task: string, principal: Principal): SessionState {
    return this.open(id ?? randomUUID(), task, principal);
  }

  /** The session with this id for this principal, created when absent. */
  open(id: string, task: string, principal: Principal): SessionState {
    const existing = this.#store.get(id);
    if (existing && !samePrincipal(existing.principal, principal)) {
      throw new IntentguardError('IG_FORBIDDEN', 'this session belongs to another principal');
    }
    return this.#store.getOrCreate(id, { task, principal });
  }

  /**
   * The session with this id when it exists and belongs to this principal
   * (`undefined`: any principal — for identities that may act for others).
   */
  find(id: string, principal: Principal | undefined): SessionState | undefined {
    const existing = this.#store.get(id);
    if (!existing) return undefined;
    if (principal && !samePrincipal(existing.principal, principal)) throw new IntentguardError('IG_FORBIDDEN', 'this session belongs to another principal');
    return existing;
  }

  /**
   * A one-off session for a stateless `/v1/decide`: not stored, its ledger fed
   * with the history the caller sent (tool results are untrusted).
   */
  ephemeral(task: string, principal: Principal, history: readonly HistoryEntry[] | undefined, server: string): SessionState {
    const session = new Session({ id: `ephemeral:${randomUUID()}`, task, principal, denialBudget: this.#config.session.denial_budget });
    for (const h of history ?? []) session.recordResult({ server: h.server ?? server, tool: h.tool, args: h.args }, h.result);
    return session;
  }

  forget(id: string): void {
    this.#store.delete(id);
  }
}

function samePrincipal(a: Principal, b: Principal): boolean {
  return a.agent === b.agent && a.user === b.user;
}
