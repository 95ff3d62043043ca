import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Runtime } from '../runtime/runtime.js';
import type { AgentAuthenticator, AgentIdentity } from './auth.js';
import type { ServiceMetrics } from './metrics.js';
import type { ServiceSessions } from './sessions.js';

/** What the service's route plugins share: built once per app by `buildApp`. */
export interface ServiceContext {
  readonly runtime: Runtime;
  readonly metrics: ServiceMetrics;
  readonly auth: AgentAuthenticator;
  readonly sessions: ServiceSessions;
  readonly clock: Clock;
  readonly log: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on protected routes. */
    identity: AgentIdentity | null;
  }
}
