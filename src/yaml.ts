import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { IntentguardError, type ErrorCode } from './errors.js';

/*
 * YAML with line positions, for the files people write by hand (policies, the
 * configuration): a bad file is refused with an error naming file and line.
 */

/** A path into a YAML document: map keys and sequence indexes (a zod issue's path as it comes). */
export type YamlPath = readonly PropertyKey[];

/** What `nodeAt` finds: the deepest node along the path, and the key node that named it. */
export interface NodeAt {
  /** The node at the path, or at its deepest existing ancestor (a missing key stops the walk); null for an empty document. */
  readonly node: YamlNode | null;
  /** The key of the last map entry walked through; null when the last step was a sequence index (or none). */
  readonly keyNode: YamlNode | null;
}

/** A parsed YAML document that can say on which line a value path starts. */
export interface LocatedDocument {
  /** The document as plain data (aliases expanded, up to the cap). */
  readonly value: unknown;
  /** The node at `path`, or at its deepest existing ancestor. */
  nodeAt(path: YamlPath): NodeAt;
  /** The 1-based line of a character offset in the text. */
  lineAt(offset: number): number;
  /** The 1-based line of the node at `path` (or of its deepest existing ancestor); undefined when there is none. */
  lineOf(path: YamlPath): number | undefined;
}

export interface LocatedYamlOptions {
  /** The error code raised for bad YAML. */
  readonly code: ErrorCode;
  /** Most alias expansions, so that a few lines cannot expand into gigabytes. */
  readonly maxAliasCount: number;
}

function nodeIn(doc: Document, path: YamlPath): NodeAt {
  let node: unknown = doc.contents;
  let keyNode: YamlNode | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      keyNode = isScalar(pair.key) ? pair.key : null;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      keyNode = null;
    } else break;
  }
  return { node: (node as YamlNode | null) ?? null, keyNode };
}

/**
 * Parses YAML keeping positions (strict, unique keys, no merge keys). A syntax
 * error, a duplicate key or an alias expanding past the cap is raised as
 * `code` naming the file and line.
 */
export function parseLocatedYaml(file: string, text: string, options: LocatedYamlOptions): LocatedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, merge: false });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const first = doc.errors[0];
  if (first) {
    const message = first.message.split('\n')[0] ?? 'invalid YAML';
    throw new IntentguardError(options.code, `invalid YAML: ${message}`, { location: { file, line: lineAt(first.pos[0]) } });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount });
  } catch (e) {
    throw new IntentguardError(options.code, `invalid YAML: ${e instanceof Error ? e.message : String(e)}`, { location: { file, line: 1 } });
  }
  const nodeAt = (path: YamlPath): NodeAt => nodeIn(doc, path);
  return {
    value,
    nodeAt,
    lineAt,
    lineOf(path) {
      const offset = nodeAt(path).node?.range?.[0];
      return offset === undefined ? undefined : lineAt(offset);
    },
  };
}

/** Validates a located document against a zod schema; the first issue names file, line and path. */
export function validateLocated<S extends z.ZodType>(
  file: string,
  doc: LocatedDocument,
  schema: S,
  code: ErrorCode,
  ruleOf?: (path: YamlPath) => string | undefined,
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
