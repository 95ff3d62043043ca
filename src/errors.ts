/**
 * The one error table of intentguard. Every error raised in `src/` is an
 * `IntentguardError` with a stable `code` from this table; the code decides the
 * process exit code (CLI) and the HTTP status (service). Messages never carry
 * secrets: callers pass redacted detail only.
 *
 * `docs` is the one-line description printed in the README's error table; a test
 * keeps the README and this table in agreement.
 */
export const ERROR_TABLE = {
  IG_USAGE: { exit: 2, http: 400, docs: 'Bad command-line usage: unknown verb, flag or value.' },
  IG_INPUT_INVALID: { exit: 2, http: 400, docs: 'An input file or request body is malformed (names file and line where known).' },
  IG_CONFIG_INVALID: { exit: 2, http: 500, docs: 'The service configuration file is invalid.' },
  IG_POLICY_INVALID: { exit: 2, http: 500, docs: 'A policy file does not parse, validate or compile (names file, line and rule).' },
  IG_POLICY_TEST_FAILED: { exit: 1, http: 500, docs: 'An inline policy test expected another decision.' },
  IG_CEL_INVALID: { exit: 2, http: 500, docs: 'A CEL condition does not parse or type-check.' },
  IG_CEL_EVAL: { exit: 1, http: 500, docs: 'A CEL condition failed at evaluation time (treated as a match for deny rules).' },
  IG_REGEX_UNSAFE: { exit: 2, http: 500, docs: 'A pattern is not accepted by the linear-time regex engine.' },
  IG_SCOPE_VIOLATION: { exit: 1, http: 403, docs: 'Arguments fall outside the boundary and cannot be narrowed into it.' },
  IG_JUDGE_UNKNOWN: { exit: 2, http: 400, docs: 'Unknown judge spec; the message lists the accepted forms.' },
  IG_JUDGE_TIMEOUT: { exit: 1, http: 504, docs: 'The judge did not answer within its time budget.' },
  IG_JUDGE_RATE_LIMITED: { exit: 1, http: 503, docs: 'The judge provider rate-limited every attempt within the budget.' },
  IG_JUDGE_UPSTREAM: { exit: 1, http: 502, docs: 'The judge provider failed (5xx, connection error).' },
  IG_JUDGE_REFUSED: { exit: 1, http: 502, docs: 'The model refused to give a verdict.' },
  IG_JUDGE_INVALID_OUTPUT: { exit: 1, http: 502, docs: 'The model reply holds no verdict that validates against the schema.' },
  IG_JUDGE_CONFIG: { exit: 2, http: 500, docs: 'A judge is misconfigured (missing key, bad base URL, bad prompt file).' },
  IG_PROMPT_INVALID: { exit: 2, http: 500, docs: 'A prompt file is malformed (front-matter or template).' },
  IG_AUDIT_BROKEN: { exit: 1, http: 500, docs: 'The audit chain does not verify; names the first bad record.' },
  IG_AUDIT_TORN: { exit: 1, http: 500, docs: 'The audit log ends in a torn (partial) line.' },
  IG_AUDIT_WRITE: { exit: 1, http: 500, docs: 'An audit record could not be written; the call is not executed.' },
  IG_CREDENTIAL_ISSUE: { exit: 1, http: 502, docs: 'A credential could not be derived for the grant.' },
  IG_CREDENTIAL_EXCHANGE: { exit: 1, http: 502, docs: 'Token exchange at the identity provider failed or returned a broader token.' },
  IG_CREDENTIAL_INVALID: { exit: 1, http: 401, docs: 'A presented credential failed verification.' },
  IG_UNAUTHENTICATED: { exit: 1, http: 401, docs: 'The agent presented no valid API key or bearer token.' },
  IG_UPSTREAM: { exit: 1, http: 502, docs: 'The upstream MCP server failed or went away.' },
  IG_TOOL_CHANGED: { exit: 1, http: 403, docs: 'A pinned tool definition changed; calls are denied until approved.' },
  IG_EVAL_GATE: { exit: 1, http: 500, docs: 'An eval gate failed.' },
  IG_EVAL_BUDGET: { exit: 1, http: 500, docs: 'The eval run reached its cost cap.' },
  IG_INTERNAL: { exit: 1, http: 500, docs: 'An internal error; details are in the service log, never on the wire.' },
  IG_FORBIDDEN: { exit: 1, http: 403, docs: 'The authenticated agent may not do this (another principal, another session).' },
  IG_NOT_FOUND: { exit: 2, http: 404, docs: 'No such route, upstream or session on the HTTP service.' },
  IG_BODY_TOO_LARGE: { exit: 2, http: 413, docs: 'The request body exceeds `server.body_limit`.' },
} as const satisfies Record<string, { exit: 0 | 1 | 2; http: number; docs: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  rule?: string;
  path?: string;
}

export class IntentguardError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;

  constructor(code: ErrorCode, message: string, options: { location?: ErrorLocation; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IntentguardError';
    this.code = code;
    this.location = options.location;
  }

  get exitCode(): 0 | 1 | 2 {
    return ERROR_TABLE[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  /** `file:line: rule R: message` — the form every CLI error takes. */
  describe(): string {
    const loc = this.location;
    const where: string[] = [];
    if (loc?.file) where.push(loc.line ? `${loc.file}:${loc.line}${loc.column ? `:${loc.column}` : ''}` : loc.file);
    if (loc?.rule) where.push(`rule ${loc.rule}`);
    if (loc?.path) where.push(loc.path);
    return `${where.length ? `${where.join(': ')}: ` : ''}${this.message} [${this.code}]`;
  }
}

export function isIntentguardError(e: unknown): e is IntentguardError {
  return e instanceof IntentguardError;
}
