import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { sha256Hex } from '../canonical.js';
import { IntentguardError } from '../errors.js';
import type { ProvenanceFact } from '../session/types.js';
import type { JudgeInput } from './types.js';

/*
 * Prompt files (prompts/*.md): YAML front-matter, then a template in two
 * sections introduced by the lines `<!-- system -->` and `<!-- user -->`.
 * Placeholders (`{{task}}`, `{{call}}`, …) are filled in one pass, so text
 * substituted into the prompt is never expanded again.
 *
 * Untrusted text (arguments, tool definitions, results) is wrapped in
 * `<untrusted-NONCE kind="…">…</untrusted-NONCE>` with a fresh random nonce per
 * call, after being neutralised: Unicode NFKC, invisible and bidi characters
 * removed, every angle bracket (and look-alike) escaped, and the tag prefix and
 * the nonce removed. No text inside a block can open or close a block.
 */

/** Where the shipped prompts live (`prompts/` at the package root, from both src/judge and dist/judge). */
export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));
/** The prompt a judge uses when none is given. */
export const DEFAULT_PROMPT_FILE = path.join(PROMPTS_DIR, 'authorize-v1.md');

export const PROMPT_PLACEHOLDERS = ['task', 'principal', 'history', 'call', 'tool', 'boundary', 'provenance', 'tag'] as const;
export type PromptPlaceholder = (typeof PROMPT_PLACEHOLDERS)[number];
const REQUIRED_IN_USER: readonly PromptPlaceholder[] = ['task', 'call'];

/** The tag prefix of untrusted blocks; the nonce follows it. */
export const UNTRUSTED_TAG_PREFIX = 'untrusted-';

const MAX_PROMPT_FILE_BYTES = 65_536;
const LIMITS = {
  task: 4_000,
  principal: 500,
  args: 4_000,
  tool: 3_000,
  result: 2_000,
  boundary: 4_000,
  provenanceValue: 300,
  historyEntries: 20,
  provenanceFacts: 50,
} as const;

/** One stage's template: `single` decides alone; `screen` is the fast first stage of a two-stage prompt. */
export interface StagePrompt {
  readonly kind: 'single' | 'screen';
  readonly id: string;
  readonly version: number;
  readonly description: string;
  /** The file it was loaded from (as given), for error messages. */
  readonly file: string;
  /** Hex sha256 of the file's bytes. */
  readonly hash: string;
  readonly system: string;
  readonly user: string;
}

/** A fast high-recall screen, then full reasoning only on what the screen flags; both share one prefix. */
export interface TwoStagePrompt {
  readonly kind: 'two-stage';
  readonly id: string;
  readonly version: number;
  readonly description: string;
  readonly file: string;
  /** Hex sha256 over this file and both stage files. */
  readonly hash: string;
  readonly screen: StagePrompt;
  readonly decide: StagePrompt;
}

export type Prompt = StagePrompt | TwoStagePrompt;

const frontMatterSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'id must be lowercase letters, digits, ".", "_" or "-" (at most 64)'),
    version: z.number().int().min(1),
    description: z.string().min(1).max(500),
    kind: z.enum(['single', 'screen', 'two-stage']),
    screen: z.string().min(1).optional(),
    decide: z.string().min(1).optional(),
  })
  .superRefine((fm, ctx) => {
    if (fm.kind === 'two-stage') {
      if (fm.screen === undefined) ctx.addIssue({ code: 'custom', path: ['screen'], message: 'a two-stage prompt names its screen file' });
      if (fm.decide === undefined) ctx.addIssue({ code: 'custom', path: ['decide'], message: 'a two-stage prompt names its decide file' });
    } else {
      for (const key of ['screen', 'decide'] as const) {
        if (fm[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only a two-stage prompt may name a ${key} file` });
      }
    }
  });

function invalid(file: string, line: number | undefined, message: string): IntentguardError {
  return new IntentguardError('IG_PROMPT_INVALID', message, { location: { file, ...(line === undefined ? {} : { line }) } });
}

/** Loads and validates a prompt file (and, for a two-stage prompt, its two stage files). */
export function loadPrompt(file: string): Prompt {
  return loadPromptAt(file, 0);
}

function readPromptFile(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such prompt file' : 'cannot read the prompt file';
    throw invalid(file, undefined, reason);
  }
  if (bytes.length > MAX_PROMPT_FILE_BYTES) throw invalid(file, undefined, `the prompt file is larger than ${MAX_PROMPT_FILE_BYTES} bytes`);
  return bytes;
}

function loadPromptAt(file: string, depth: number): Prompt {
  const bytes = readPromptFile(file);
  const prompt = parsePrompt(bytes.toString('utf8'), file);
  if (prompt.kind !== 'two-stage') return prompt;
  if (depth > 0) throw invalid(file, 1, 'a two-stage prompt cannot be a stage of another');
  return prompt;
}

/**
 * Parses prompt text. `file` names it in errors and resolves a two-stage
 * prompt's stage files (relative to its directory).
 */
export function parsePrompt(text: string, file: string): Prompt {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== '---') throw invalid(file, 1, 'a prompt file starts with a front-matter block (`---`)');
  const close = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (close === -1) throw invalid(file, 1, 'the front-matter block is not closed (`---`)');
  const fmText = lines.slice(1, close).join('\n');
  const lineCounter = new LineCounter();
  const doc = parseDocument(fmText, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    throw invalid(file, pos ? pos.line + 1 : 2, `front-matter: ${yamlError.message.split('\n')[0] ?? 'invalid YAML'}`);
  }
  const parsed = frontMatterSchema.safeParse(doc.toJS({ maxAliasCount: 10 }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown key is reported on the object; point at the key itself.
    const key = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
    let line: number | undefined;
    if (key !== undefined) {
      const node = doc.get(String(key), true);
      if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line + 1;
    }
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw invalid(file, line ?? 1, `front-matter: ${where}${issue?.message ?? 'invalid'}`);
  }
  const fm = parsed.data;
  const fileHash = sha256Hex(text);

  if (fm.kind === 'two-stage') {
    const dir = path.dirname(file);
    const screen = loadPromptAt(path.resolve(dir, fm.screen ?? ''), 1);
    const decide = loadPromptAt(path.resolve(dir, fm.decide ?? ''), 1);
    if (screen.kind !== 'screen') throw invalid(file, lineOfKey(lines, 'screen', close), `the screen file must be a prompt of kind screen (it is ${screen.kind})`);
    if (decide.kind !== 'single') throw invalid(file, lineOfKey(lines, 'decide', close), `the decide file must be a prompt of kind single (it is ${decide.kind})`);
    return {
      kind: 'two-stage',
      id: fm.id,
      version: fm.version,
      description: fm.description,
      file,
      hash: sha256Hex(`${fileHash}\n${screen.hash}\n${decide.hash}`),
      screen,
      decide,
    };
  }

  const body = parseBody(lines, close + 1, file);
  return { kind: fm.kind, id: fm.id, version: fm.version, description: fm.description, file, hash: fileHash, ...body };
}

function lineOfKey(lines: readonly string[], key: string, close: number): number {
  const i = lines.findIndex((l, n) => n > 0 && n < close && l.startsWith(`${key}:`));
  return i === -1 ? 1 : i + 1;
}

function parseBody(lines: readonly string[], start: number, file: string): { system: string; user: string } {
  let systemAt = -1;
  let userAt = -1;
  for (let i = start; i < lines.length; i++) {
    const t = lines[i]?.trim();
    if (t === '<!-- system -->') {
      if (systemAt !== -1) throw invalid(file, i + 1, 'a second `<!-- system -->` section');
      if (userAt !== -1) throw invalid(file, i + 1, 'the `<!-- system -->` section comes before `<!-- user -->`');
      systemAt = i;
    } else if (t === '<!-- user -->') {
      if (userAt !== -1) throw invalid(file, i + 1, 'a second `<!-- user -->` section');
      userAt = i;
    }
  }
  if (systemAt === -1) throw invalid(file, start + 1, 'the template has no `<!-- system -->` section');
  if (userAt === -1) throw invalid(file, start + 1, 'the template has no `<!-- user -->` section');
  for (let i = start; i < systemAt; i++) {
    if (lines[i]?.trim()) throw invalid(file, i + 1, 'text before the `<!-- system -->` section');
  }
  const seenInUser = new Set<string>();
  for (let i = systemAt + 1; i < lines.length; i++) {
    if (i === userAt) continue;
    const line = lines[i] ?? '';
    for (const m of line.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) {
      const name = m[1] ?? '';
      if (!(PROMPT_PLACEHOLDERS as readonly string[]).includes(name)) {
        throw invalid(file, i + 1, `unknown placeholder {{${name}}} (known: ${PROMPT_PLACEHOLDERS.join(', ')})`);
      }
      if (i > userAt) seenInUser.add(name);
    }
    if (/\{\{(?![^{}]*\}\})/.test(line)) throw invalid(file, i + 1, 'an unclosed `{{` placeholder');
  }
  for (const name of REQUIRED_IN_USER) {
    if (!seenInUser.has(name)) throw invalid(file, userAt + 1, `the user section must contain {{${name}}}`);
  }
  const system = lines.slice(systemAt + 1, userAt).join('\n').trim();
  const user = lines.slice(userAt + 1).join('\n').trim();
  if (system === '') throw invalid(file, systemAt + 1, 'the system section is empty');
  return { system, user };
}

// ─── rendering ──────────────────────────────────────────────────────────────

export interface RenderOptions {
  /** Opt-in: show raw tool results (delimited) in the history. Off by default. */
  readonly includeResults?: boolean | undefined;
  /** The nonce for this call's delimiters; a fresh random one when absent. Shared by the stages of one call. */
  readonly nonce?: string | undefined;
}

/** The messages for one call. */
export interface RenderedPrompt {
  readonly system: string;
  readonly user: string;
  /** The nonce of this call's untrusted blocks. */
  readonly nonce: string;
}

/** A fresh delimiter nonce: 16 hex characters from the system's CSPRNG. */
export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

// Invisible, control, bidi-override, variation-selector and Unicode tag characters (the last can smuggle
// ASCII past a reader). The class lists combining characters on purpose, one by one.
// eslint-disable-next-line no-control-regex, no-misleading-character-class
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu;
// After NFKC (which folds full-width and small forms), the remaining look-alikes of < and >.
const LESS_THAN = /[<\u02C2\u1438\u2039\u227A\u2329\u27E8\u3008\u276C\u276E\u29FC]/g;
const GREATER_THAN = /[>\u02C3\u1433\u203A\u227B\u232A\u27E9\u3009\u276D\u276F\u29FD]/g;
const TAG_PREFIX = /untrusted\s*[-\u2010-\u2015\u2212\uFE63\uFF0D_]/giu;

function clipRaw(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [truncated, ${text.length - max} more characters]`;
}

/**
 * Makes text safe to place in a prompt: it can neither open nor close a block
 * nor hide characters. Applied to every untrusted piece, and to trusted text
 * too (a task may quote an e-mail).
 */
export function neutralise(text: string, max: number, nonce?: string): string {
  let t = clipRaw(text, max).normalize('NFKC').replace(INVISIBLE, '');
  t = t.replace(LESS_THAN, '&lt;').replace(GREATER_THAN, '&gt;').replace(TAG_PREFIX, '[tag-prefix-removed]');
  if (nonce) t = t.split(nonce).join('[nonce-removed]');
  return t;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"(a value that cannot be shown)"';
  }
}

class BlockWriter {
  readonly tag: string;
  constructor(readonly nonce: string) {
    this.tag = `${UNTRUSTED_TAG_PREFIX}${nonce}`;
  }
  block(kind: string, text: string, max: number): string {
    return `<${this.tag} kind="${kind}">${neutralise(text, max, this.nonce)}</${this.tag}>`;
  }
}

function renderPrincipal(input: JudgeInput, nonce: string): string {
  const p = input.principal;
  const parts: string[] = [];
  if (p.user) parts.push(`user: ${p.user}`);
  if (p.agent) parts.push(`agent: ${p.agent}`);
  if (p.groups?.length) parts.push(`groups: ${p.groups.join(', ')}`);
  return parts.length ? neutralise(parts.join('; '), LIMITS.principal, nonce) : '(not given)';
}

function renderHistory(input: JudgeInput, w: BlockWriter, includeResults: boolean): string {
  if (input.history.length === 0) return '(no earlier calls in this session)';
  const first = Math.max(0, input.history.length - LIMITS.historyEntries);
  const out: string[] = [];
  if (first > 0) out.push(`(${first} earlier calls not shown)`);
  input.history.forEach((h, i) => {
    if (i < first) return;
    const call = safeJson({ ...(h.server === undefined ? {} : { server: h.server }), tool: h.tool, args: h.args });
    out.push(`#${i + 1} ${w.block('call', call, LIMITS.args)}`);
    if (h.result === undefined) out.push(`   result: (none recorded)`);
    else if (includeResults) out.push(`   result: ${w.block('result', h.result, LIMITS.result)}`);
    else out.push('   result: (withheld: tool results are not shown to the judge)');
  });
  return out.join('\n');
}

function renderTool(input: JudgeInput, w: BlockWriter): string {
  const t = input.tool;
  if (!t) return '(the server gave no definition for this tool)';
  const def = safeJson({
    name: t.name,
    ...(t.description === undefined ? {} : { description: t.description }),
    ...(t.annotations === undefined ? {} : { annotations: t.annotations }),
    ...(t.inputSchema === undefined ? {} : { inputSchema: t.inputSchema }),
  });
  return w.block('tool-definition', def, LIMITS.tool);
}

function renderBoundary(input: JudgeInput, nonce: string): string {
  const b = input.boundary;
  const scopes = b.scopes.length ? b.scopes.join(', ') : '(none)';
  const args = Object.keys(b.args).length ? safeJson(b.args) : '(no argument constraints)';
  return neutralise(`scopes: ${scopes}\nargument constraints: ${args}`, LIMITS.boundary, nonce);
}

function describeSource(f: ProvenanceFact): string {
  if (f.source === 'task') return 'source=task (the user named this value)';
  if (f.source === 'nowhere') return 'source=nowhere (new in this call: not in the task, not in any tool result)';
  const where = f.seenIn.map((s) => `#${s.index}`).join(', ');
  return `source=untrusted (appears only in tool results${where ? `: ${where}` : ''}, never in the task)`;
}

function renderProvenance(input: JudgeInput, w: BlockWriter): string {
  if (input.provenance.length === 0) return '(no argument values to trace)';
  const facts = input.provenance.slice(0, LIMITS.provenanceFacts);
  const out = facts.map((f) => `- ${describeSource(f)}: ${w.block('argument', `${f.arg} = ${f.value}`, LIMITS.provenanceValue)}`);
  if (input.provenance.length > facts.length) out.push(`(${input.provenance.length - facts.length} more facts not shown)`);
  return out.join('\n');
}

/** Renders one stage's template for one call. */
export function renderPrompt(prompt: StagePrompt, input: JudgeInput, options: RenderOptions = {}): RenderedPrompt {
  const nonce = options.nonce ?? newNonce();
  const w = new BlockWriter(nonce);
  const values: Record<PromptPlaceholder, () => string> = {
    task: () => neutralise(input.task, LIMITS.task, nonce),
    principal: () => renderPrincipal(input, nonce),
    history: () => renderHistory(input, w, options.includeResults === true),
    call: () => w.block('call', safeJson({ server: input.call.server, tool: input.call.tool, args: input.call.args }), LIMITS.args),
    tool: () => renderTool(input, w),
    boundary: () => renderBoundary(input, nonce),
    provenance: () => renderProvenance(input, w),
    tag: () => w.tag,
  };
  const cache = new Map<string, string>();
  const fill = (template: string): string =>
    template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_m, name: string) => {
      let v = cache.get(name);
      if (v === undefined) {
        v = values[name as PromptPlaceholder]();
        cache.set(name, v);
      }
      return v;
    });
  return { system: fill(prompt.system), user: fill(prompt.user), nonce };
}
