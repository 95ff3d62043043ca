import { redact } from '../audit/redact.js';

/**
 * An unexpected error as the service log may show it: its type, message and
 * stack with secret-looking text (bearer values, JWTs, API keys, PEM blocks)
 * redacted, since an internal error can quote whatever it was handling.
 */
export function loggableError(error: unknown): unknown {
  if (!(error instanceof Error)) return redact(error);
  return redact({ type: error.name, message: error.message, stack: error.stack });
}
