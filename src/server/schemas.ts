import { z } from 'zod';

/**
 * Request bodies of the HTTP API, validated with zod. Everything here is
 * hostile input: strings and collections are bounded, unknown keys fail, and
 * argument objects are depth-checked before validation (see `maxDepth`).
 */

/** Nesting limit of tool arguments and history entries; deeper input is refused before it reaches the guard. */
export const MAX_ARG_DEPTH = 32;

const Name = z.string().min(1).max(256);
const Text = z.string().max(65_536);
const Args = z.record(z.string().max(256), z.unknown());

const PrincipalBody = z.strictObject({
  agent: Name.optional(),
  user: Name.optional(),
  groups: z.array(Name).max(64).optional(),
});

const ToolCallBody = z.strictObject({
  server: Name,
  tool: Name,
  args: Args.default({}),
});

const HistoryEntryBody = z.strictObject({
  server: Name.optional(),
  tool: Name,
  args: Args.default({}),
  /** The untrusted result text the tool returned. */
  result: z.string().max(1_048_576).optional(),
});

const ToolSpecBody = z.strictObject({
  name: Name,
  description: Text.optional(),
  inputSchema: z.unknown().optional(),
  annotations: z
    .strictObject({
      title: z.string().max(512).optional(),
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .optional(),
});

const SessionId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a session id is 1-128 characters of [A-Za-z0-9._:-]');

/** `POST /v1/decide`. */
export const DecideBody = z.strictObject({
  session: SessionId.optional(),
  task: Text.optional(),
  principal: PrincipalBody.optional(),
  call: ToolCallBody,
  history: z.array(HistoryEntryBody).max(500).optional(),
  tool: ToolSpecBody.optional(),
  tools: z.array(ToolSpecBody).max(500).optional(),
});
export type DecideBody = z.infer<typeof DecideBody>;

/** `POST /v1/sessions`. */
export const SessionBody = z.strictObject({
  id: SessionId.optional(),
  task: Text,
  principal: PrincipalBody.optional(),
});
export type SessionBody = z.infer<typeof SessionBody>;

/** `POST /v1/sessions/:id/results`: a call the caller ran itself after `/v1/decide`, and its (untrusted) result. */
export const ResultBody = z.strictObject({
  call: ToolCallBody,
  result: z.string().max(1_048_576),
});
export type ResultBody = z.infer<typeof ResultBody>;

export { SessionId };

/**
 * Depth of a JSON value, walked iteratively so that hostile nesting cannot
 * overflow the stack. Stops counting at `limit + 1`.
 */
export function exceedsDepth(value: unknown, limit: number = MAX_ARG_DEPTH): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  let visited = 0;
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= limit) return true;
    // A body is already bounded in bytes; this bound only caps the work per request.
    if (++visited > 1_000_000) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push({ v: child, d: d + 1 });
  }
  return false;
}

/** Issues as `path: message`, without echoing the offending values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}
