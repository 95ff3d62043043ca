import { readFile, stat } from 'node:fs/promises';
import { IntentguardError } from '../errors.js';

/** Shared pieces of the import adapters: reading hostile JSON, message content, tool calls. */

export const IMPORT_LIMITS = {
  maxFileBytes: 256 * 1024 * 1024,
  maxMessages: 20_000,
  /** Longest tool result kept in a trace (longer ones are clipped, marked). */
  maxResultChars: 100_000,
} as const;

/** A trace as the adapters write it (the labeled-trace line format; `label` absent when unlabeled). */
export interface ImportedTrace {
  id: string;
  source: string;
  task: string;
  principal?: Record<string, unknown>;
  history: { tool: string; args: Record<string, unknown>; result?: string }[];
  call: { server?: string; tool: string; args: Record<string, unknown> };
  tools?: { name: string; description?: string; inputSchema?: unknown }[];
  label?: { decision: 'allow' | 'deny' | 'narrow'; args?: Record<string, unknown>; scopes?: string[] };
  tags: string[];
}

export interface ImportSummary {
  readonly traces: ImportedTrace[];
  /** Tool calls that got no label (left out, or written unlabeled). */
  readonly unlabeled: number;
  readonly files: number;
}

/** Reads a file as text, refusing one over the size limit before reading it. */
async function readBoundedText(file: string, what: string): Promise<string> {
  try {
    const s = await stat(file);
    if (s.size > IMPORT_LIMITS.maxFileBytes) throw new IntentguardError('IG_INPUT_INVALID', `the ${what} is larger than ${IMPORT_LIMITS.maxFileBytes} bytes`, { location: { file } });
    return await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof IntentguardError) throw e;
    throw new IntentguardError('IG_INPUT_INVALID', `cannot read the ${what}`, { location: { file }, cause: e });
  }
}

export async function readJsonFile(file: string, what: string): Promise<unknown> {
  const text = await readBoundedText(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new IntentguardError('IG_INPUT_INVALID', `the ${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { location: { file } });
  }
}

/** Reads a file holding one JSON value, or JSON Lines (one value per line). Each value comes with its line (1 for a whole-file value). */
export async function readJsonOrLines(file: string, what: string): Promise<{ value: unknown; line: number }[]> {
  const text = await readBoundedText(file, what);
  try {
    return [{ value: JSON.parse(text) as unknown, line: 1 }];
  } catch {
    // Not one JSON document: try JSON Lines.
  }
  const out: { value: unknown; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      out.push({ value: JSON.parse(raw) as unknown, line: i + 1 });
    } catch (e) {
      throw new IntentguardError('IG_INPUT_INVALID', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { location: { file, line: i + 1 } });
    }
  });
  return out;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Message content as text: a string, or a list of text blocks (`{type:'text', text}` or AgentDojo's `{type:'text', content}`). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => {
        if (typeof b === 'string') return b;
        if (isRecord(b)) {
          if (typeof b.text === 'string') return b.text;
          if (typeof b.content === 'string') return b.content;
        }
        return '';
      })
      .filter((t) => t !== '')
      .join('\n');
  }
  return '';
}

export function clipResult(text: string): string {
  const max = IMPORT_LIMITS.maxResultChars;
  return text.length > max ? `${text.slice(0, max)}[…clipped ${text.length - max} chars…]` : text;
}

export interface ParsedToolCall {
  readonly id: string | undefined;
  readonly name: string;
  readonly args: Record<string, unknown>;
  /** An inline label (`label` on the tool call object), when present. */
  readonly label: unknown;
}

/**
 * A tool call in either common shape: OpenAI (`{id, type:'function',
 * function:{name, arguments: "<json>"}}`) or AgentDojo (`{id, function:
 * "name", args:{…}}`). Arguments that are not a JSON object become `{}` with
 * the raw text under `_raw`, so nothing is silently lost.
 */
export function parseToolCall(raw: unknown): ParsedToolCall | undefined {
  if (!isRecord(raw)) return undefined;
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  const fn = raw.function;
  if (typeof fn === 'string') {
    return { id, name: fn, args: isRecord(raw.args) ? raw.args : {}, label: raw.label };
  }
  if (isRecord(fn) && typeof fn.name === 'string') {
    let args: Record<string, unknown> = {};
    const a = fn.arguments;
    if (isRecord(a)) args = a;
    else if (typeof a === 'string' && a.trim() !== '') {
      try {
        const parsed = JSON.parse(a) as unknown;
        args = isRecord(parsed) ? parsed : { _raw: a };
      } catch {
        args = { _raw: a };
      }
    }
    return { id, name: fn.name, args, label: raw.label };
  }
  return undefined;
}

/** A label given as `"allow"` or as `{decision, args?, scopes?}`; undefined when absent or malformed. */
export function parseLabel(raw: unknown): ImportedTrace['label'] | undefined {
  if (raw === 'allow' || raw === 'deny' || raw === 'narrow') return raw === 'narrow' ? undefined : { decision: raw };
  if (!isRecord(raw)) return undefined;
  const d = raw.decision;
  if (d !== 'allow' && d !== 'deny' && d !== 'narrow') return undefined;
  const out: NonNullable<ImportedTrace['label']> = { decision: d };
  if (isRecord(raw.args)) out.args = raw.args;
  if (Array.isArray(raw.scopes) && raw.scopes.every((s) => typeof s === 'string')) out.scopes = raw.scopes as string[];
  if (d === 'narrow' && out.args === undefined && out.scopes === undefined) return undefined;
  return out;
}

/** Trace ids from free text: safe characters only, unique within one import. */
export class IdMaker {
  readonly #seen = new Map<string, number>();

  make(...parts: string[]): string {
    const base = parts
      .map((p) => p.replace(/[^A-Za-z0-9._-]+/g, '_'))
      .join('-')
      .slice(0, 200);
    const n = (this.#seen.get(base) ?? 0) + 1;
    this.#seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  }
}

/** Serialises traces as JSON Lines. */
export function toJsonl(traces: readonly ImportedTrace[]): string {
  return traces.map((t) => JSON.stringify(t)).join('\n') + (traces.length ? '\n' : '');
}
