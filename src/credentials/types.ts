import { inspect } from 'node:util';
import type { Grant } from '../scope/types.js';
import type { Principal, ToolCall } from '../session/types.js';

const REDACTED = '[REDACTED]';

/**
 * A secret string that refuses to be printed: JSON, string conversion and
 * `util.inspect` all give `[REDACTED]`. Only `reveal()` gives the value, and only
 * the code that injects it into the upstream request calls it.
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export type CredentialKind = 'jwt' | 'exchange' | 'static';

/** What the issuer is asked for: exactly the grant of one call. */
export interface CredentialRequest {
  /** The transaction id that ties the credential to its audit record. */
  readonly txn: string;
  readonly call: ToolCall;
  readonly grant: Grant;
  readonly principal: Principal;
  /** The upstream's audience (resource indicator). */
  readonly audience: string;
  readonly ttlSeconds: number;
  /** The user's own token, for pass-through identity. Never logged. */
  readonly subjectToken?: SecretValue | undefined;
}

/** A derived credential. Everything but `secret` may be audited. */
export interface Credential {
  /** `jti` or an equivalent id; the audit keeps this, never the secret. */
  readonly id: string;
  readonly kind: CredentialKind;
  readonly scopes: readonly string[];
  readonly audience: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly secret: SecretValue;
  /** Extra named secrets (static injection); values never leave the upstream leg. */
  readonly extra?: Readonly<Record<string, SecretValue>> | undefined;
}

/**
 * The seam for deriving credentials (step 3 of the spine).
 */
export interface Issuer {
  readonly kind: CredentialKind;
  /**
   * Called once per allowed or narrowed call, after the grant is final and
   * before the upstream runs. Throws `IntentguardError` (`IG_CREDENTIAL_ISSUE` /
   * `IG_CREDENTIAL_EXCHANGE`) when no credential can be had; the guard then denies.
   */
  issue(request: CredentialRequest): Promise<Credential>;
  close?(): Promise<void>;
}
