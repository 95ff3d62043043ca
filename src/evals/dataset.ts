import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { sha256Hex } from '../canonical.js';
import { IntentguardError } from '../errors.js';
import type { HistoryEntry, ToolSpec } from '../session/types.js';
import { DECISIONS, type DatasetInfo, type EvalCase } from './types.js';

/** Hostile-input bounds: a dataset is data someone else wrote. */
export const DATASET_LIMITS = {
  /** Largest dataset file read. */
  maxFileBytes: 512 * 1024 * 1024,
  /** Longest single line (one trace). */
  maxLineBytes: 4 * 1024 * 1024,
  /** Deepest nesting of arrays/objects inside one trace. */
  maxDepth: 64,
  maxHistory: 1_000,
  maxTools: 1_000,
  maxTags: 256,
} as const;

const JsonObject = z.record(z.string(), z.unknown());

const PrincipalSchema = z.strictObject({
  agent: z.string().max(1_000).optional(),
  user: z.string().max(1_000).optional(),
  groups: z.array(z.string().max(1_000)).max(256).optional(),
});

const HistorySchema = z.strictObject({
  server: z.string().max(1_000).optional(),
  tool: z.string().min(1).max(1_000),
  args: JsonObject,
  result: z.string().nullable().optional(),
});

const AnnotationsSchema = z.looseObject({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

// Tool specs come from MCP servers, which add fields over time (title, outputSchema, _meta): unknown keys are
// tolerated here and dropped, since only the fields below ever reach a judge.
const ToolSchema = z.looseObject({
  name: z.string().min(1).max(1_000),
  description: z.string().optional(),
  inputSchema: z.unknown().optional(),
  annotations: AnnotationsSchema.optional(),
});

const LabelSchema = z
  .strictObject({
    decision: z.enum(DECISIONS),
    args: JsonObject.optional(),
    scopes: z.array(z.string()).optional(),
    /** Free text for reviewers; never shown to a judge. */
    reason: z.string().optional(),
    note: z.string().optional(),
  })
  .refine((l) => l.decision !== 'narrow' || l.args !== undefined || l.scopes !== undefined, {
    message: 'a `narrow` label needs `args` or `scopes` saying what the narrowed call should be',
  });

/** The labeled-trace line format (DESIGN.md). Strict: a misspelt key is an error, not a silently missing field. */
export const TraceSchema = z.strictObject({
  id: z.string().min(1).max(512),
  source: z.string().max(10_000).optional(),
  task: z.string().min(1),
  principal: PrincipalSchema.optional(),
  history: z.array(HistorySchema).max(DATASET_LIMITS.maxHistory).optional(),
  call: z.strictObject({
    server: z.string().max(1_000).optional(),
    tool: z.string().min(1).max(1_000),
    args: JsonObject,
  }),
  tools: z.array(ToolSchema).max(DATASET_LIMITS.maxTools).optional(),
  label: LabelSchema.optional(),
  tags: z.array(z.string().max(1_000)).max(DATASET_LIMITS.maxTags).optional(),
});

export type TraceLine = z.infer<typeof TraceSchema>;

export interface LoadedDatasets {
  readonly datasets: DatasetInfo[];
  readonly cases: EvalCase[];
}

/**
 * Reads JSONL trace files. Blank lines are skipped; every other line must be a
 * valid labeled trace. Fails with `IG_INPUT_INVALID` naming the file, the line
 * and the field; a case id seen twice (in any of the files) is an error naming
 * both places.
 */
export async function loadDatasets(files: readonly string[]): Promise<LoadedDatasets> {
  if (files.length === 0) throw new IntentguardError('IG_USAGE', 'no dataset given (use --dataset FILE)');
  const datasets: DatasetInfo[] = [];
  const cases: EvalCase[] = [];
  const seen = new Map<string, { file: string; line: number }>();
  for (const file of files) {
    const bytes = await readDatasetFile(file);
    const parsed = parseDataset(bytes, file);
    for (const c of parsed) {
      const prev = seen.get(c.id);
      if (prev) {
        throw new IntentguardError('IG_INPUT_INVALID', `duplicate case id '${c.id}' (first at ${prev.file}:${prev.line})`, {
          location: { file: c.origin.file, line: c.origin.line, path: 'id' },
        });
      }
      seen.set(c.id, c.origin);
      cases.push(c);
    }
    datasets.push({ file, sha256: sha256Hex(bytes), bytes: bytes.length, cases: parsed.length });
  }
  return { datasets, cases };
}

async function readDatasetFile(file: string): Promise<Buffer> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new IntentguardError('IG_INPUT_INVALID', 'not a regular file', { location: { file } });
    size = s.size;
  } catch (e) {
    if (e instanceof IntentguardError) throw e;
    throw new IntentguardError('IG_INPUT_INVALID', 'cannot read the dataset file', { location: { file }, cause: e });
  }
  if (size > DATASET_LIMITS.maxFileBytes) {
    throw new IntentguardError('IG_INPUT_INVALID', `the dataset is larger than ${DATASET_LIMITS.maxFileBytes} bytes`, { location: { file } });
  }
  return readFile(file);
}

/** Parses the bytes of one JSONL dataset. Exported for tests and for traces read from stdin. */
export function parseDataset(bytes: Uint8Array, file: string): EvalCase[] {
  const text = Buffer.from(bytes).toString('utf8');
  const lines = text.split('\n');
  const out: EvalCase[] = [];
  const ids = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i] ?? '';
    if (i === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.trim() === '') continue;
    const line = i + 1;
    const c = parseTraceLine(raw, { file, line });
    const prev = ids.get(c.id);
    if (prev !== undefined) {
      throw new IntentguardError('IG_INPUT_INVALID', `duplicate case id '${c.id}' (first at line ${prev})`, { location: { file, line, path: 'id' } });
    }
    ids.set(c.id, line);
    out.push(c);
  }
  return out;
}

export interface TraceLocation {
  readonly file: string;
  /** Absent for a trace spread over several lines (a pretty-printed JSON file). */
  readonly line?: number | undefined;
}

/** A validated trace whose label may be absent (for `intentguard decide`, which ignores labels). */
export type Trace = Omit<EvalCase, 'label' | 'origin'> & {
  readonly label?: EvalCase['label'] | undefined;
  readonly origin: TraceLocation;
};

function parseJson(raw: string, where: TraceLocation): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    const offset = pos?.[1] === undefined ? undefined : Number(pos[1]);
    let line = where.line;
    let column = offset === undefined ? undefined : offset + 1;
    if (line === undefined && offset !== undefined) {
      // A multi-line document: turn the offset into line and column.
      const before = raw.slice(0, offset);
      line = before.split('\n').length;
      column = offset - before.lastIndexOf('\n');
    }
    throw new IntentguardError('IG_INPUT_INVALID', `not valid JSON: ${msg}`, {
      location: { file: where.file, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) },
    });
  }
}

function validate(value: unknown, where: TraceLocation): TraceLine {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(where, 'a trace must be one JSON object');
  const tooDeep = depthPath(value, DATASET_LIMITS.maxDepth);
  if (tooDeep !== undefined) throw invalid(where, `nested deeper than ${DATASET_LIMITS.maxDepth} levels`, tooDeep);
  const result = TraceSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    throw invalid(where, issue?.message ?? 'invalid trace', path || undefined);
  }
  return result.data;
}

/** Parses and validates one labeled trace (one JSONL line). */
export function parseTraceLine(raw: string, where: { readonly file: string; readonly line: number }): EvalCase {
  if (Buffer.byteLength(raw, 'utf8') > DATASET_LIMITS.maxLineBytes) {
    throw invalid(where, `the line is longer than ${DATASET_LIMITS.maxLineBytes} bytes`);
  }
  const t = validate(parseJson(raw, where), where);
  if (!t.label) {
    throw invalid(where, '`label.decision` is required to score a trace (an unlabeled trace can go to `intentguard decide`)', 'label');
  }
  const trace = toTrace(t, where);
  return { ...trace, label: trace.label ?? { decision: t.label.decision }, origin: where };
}

/**
 * Parses one trace from a file's whole text: a JSON object (pretty-printed or
 * not), or a JSONL file holding exactly one non-blank line. The label is
 * optional. Errors name the file, and the line where it is known.
 */
export function parseTraceText(text: string, file: string): Trace {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (Buffer.byteLength(clean, 'utf8') > DATASET_LIMITS.maxLineBytes) {
    throw invalid({ file }, `the trace is larger than ${DATASET_LIMITS.maxLineBytes} bytes`);
  }
  const lines = clean.split('\n').map((l, i) => ({ l: l.replace(/\r$/, ''), n: i + 1 })).filter((x) => x.l.trim() !== '');
  if (lines.length === 0) throw invalid({ file }, 'no trace: the input is empty');
  let value: unknown;
  let where: TraceLocation = { file };
  if (lines.length === 1) {
    where = { file, line: lines[0]?.n };
    value = parseJson(lines[0]?.l ?? '', where);
  } else {
    try {
      value = JSON.parse(clean);
    } catch {
      // Several lines that are not one JSON document: JSON Lines with more than one trace, or broken JSON.
      const first = lines[0];
      let firstIsJson = false;
      try {
        JSON.parse(first?.l ?? '');
        firstIsJson = true;
      } catch {
        firstIsJson = false;
      }
      if (firstIsJson) throw invalid({ file, line: lines[1]?.n }, 'expected one trace, found more than one line of JSON');
      value = parseJson(clean, where);
    }
  }
  return toTrace(validate(value, where), where);
}

function toTrace(t: TraceLine, where: TraceLocation): Trace {
  const label = t.label;  const history: HistoryEntry[] = (t.history ?? []).map((h) => ({
    ...(h.server === undefined ? {} : { server: h.server }),
    tool: h.tool,
    args: h.args,
    ...(h.result === undefined || h.result === null ? {} : { result: h.result }),
  }));
  const tools: ToolSpec[] = (t.tools ?? []).map((s) => ({
    name: s.name,
    ...(s.description === undefined ? {} : { description: s.description }),
    ...(s.inputSchema === undefined ? {} : { inputSchema: s.inputSchema }),
    ...(s.annotations === undefined ? {} : { annotations: pickAnnotations(s.annotations) }),
  }));
  return {
    id: t.id,
    ...(t.source === undefined ? {} : { source: t.source }),
    task: t.task,
    principal: {
      ...(t.principal?.agent === undefined ? {} : { agent: t.principal.agent }),
      ...(t.principal?.user === undefined ? {} : { user: t.principal.user }),
      ...(t.principal?.groups === undefined ? {} : { groups: t.principal.groups }),
    },
    history,
    call: { server: t.call.server ?? '', tool: t.call.tool, args: t.call.args },
    tools,
    ...(label === undefined
      ? {}
      : {
          label: {
            decision: label.decision,
            ...(label.args === undefined ? {} : { args: label.args }),
            ...(label.scopes === undefined ? {} : { scopes: label.scopes }),
          },
        }),
    tags: t.tags ?? [],
    origin: where,
  };
}

function pickAnnotations(a: z.infer<typeof AnnotationsSchema>): ToolSpec['annotations'] {
  const out: Record<string, string | boolean> = {};
  if (a.title !== undefined) out.title = a.title;
  if (a.readOnlyHint !== undefined) out.readOnlyHint = a.readOnlyHint;
  if (a.destructiveHint !== undefined) out.destructiveHint = a.destructiveHint;
  if (a.idempotentHint !== undefined) out.idempotentHint = a.idempotentHint;
  if (a.openWorldHint !== undefined) out.openWorldHint = a.openWorldHint;
  return out;
}

/** The path of the first value nested deeper than `max`, or undefined. Iterative: a hostile line cannot blow the stack. */
function depthPath(root: unknown, max: number): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: root, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (value === null || typeof value !== 'object') continue;
    if (depth >= max) return path || '(root)';
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') stack.push({ value: v, depth: depth + 1, path: path ? `${path}.${k}` : k });
    }
  }
  return undefined;
}

function invalid(where: TraceLocation, message: string, path?: string): IntentguardError {
  return new IntentguardError('IG_INPUT_INVALID', message, {
    location: { file: where.file, ...(where.line === undefined ? {} : { line: where.line }), ...(path === undefined ? {} : { path }) },
  });
}
