import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { IntentguardError, type ErrorCode } from '../errors.js';

/** A parsed YAML document that can say on which line a value path starts. */
export interface LocatedDocument {
  readonly value: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * Parses YAML keeping positions. A syntax error (or a duplicate key) is raised
 * as `code` naming the file and line.
 */
export function parseLocatedYaml(file: string, text: string, code: ErrorCode): LocatedDocument {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new IntentguardError(code, `invalid YAML: ${first.message.split('\n')[0]}`, {
      location: { file, ...(pos ? { line: pos.line, column: pos.col } : {}) },
    });
  }
  return {
    value: doc.toJS({ maxAliasCount: 100 }),
    lineOf(path) {
      // Walk up until a node with a position is found (a missing key points at its parent).
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

/** Validates a located document against a zod schema; the first issue names file, line and path. */
export function validateLocated<S extends z.ZodType>(
  file: string,
  doc: LocatedDocument,
  schema: S,
  code: ErrorCode,
  ruleOf?: (path: readonly PropertyKey[]) => string | undefined,
): z.infer<S> {
  const parsed = schema.safeParse(doc.value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // An unknown key is reported on the key's own line, not its parent's.
  const path = issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : (issue?.path ?? []);
  const line = doc.lineOf(path);
  const rule = ruleOf?.(path);
  const where = path.length ? path.map(String).join('.') : '(root)';
  throw new IntentguardError(code, `${where}: ${issue?.message ?? 'invalid'}`, {
    location: { file, ...(line === undefined ? {} : { line }), ...(rule === undefined ? {} : { rule }) },
  });
}
