/**
 * Narrowing for read, list and search calls: when the task names something
 * narrower than what the call asks for — a directory under the requested
 * root, a smaller count, a repository of the requested owner — propose that.
 * Only narrowing-type changes (a subpath of the original path, a smaller
 * number) and only when the boundary's constraints on the argument allow it;
 * the guard clamps again anyway.
 */
import type { ArgConstraint, Boundary } from '../scope/types.js';
import type { ToolCall } from '../session/types.js';
import type { Evidence } from './types.js';
import { splitWords } from './offline-lexicon.js';

export interface NarrowProposal {
  /** Replacement values for the narrowed arguments only. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly evidence: readonly Evidence[];
  readonly reason: string;
}

const LIMIT_ARG = /^(?:limit|max|max_?results|max_?count|max_?items|n|count|top|k|num|num_?results|number|page_?size|per_?page|size|results|first|last)$/i;
const PATH_ARG = /^(?:path|dir|directory|folder|root|cwd|base|base_?path|location|prefix|dir_?path|folder_?path|directory_?path|search_?path)$/i;
const REPO_ARG = /^(?:repo|repository|repo_?id|repo_?name|full_?name|project)$/i;
const DIRECTORY_TOOL = /^(?:list|ls|tree|search|find|glob|grep|walk|scan|browse|directory|dir|folder|files)$/;

const COUNT_PATTERNS: readonly RegExp[] = [
  /\b(?:last|latest|first|top|most recent|recent|newest|oldest|next|previous|past)\s+(\d{1,4})\b/g,
  /\b(\d{1,4})\s+(?:most recent|latest|last|recent|newest|oldest|first|top|next|previous)\b/g,
  /\b(?:up to|at most|no more than|maximum of|max(?:imum)?|only)\s+(\d{1,4})\b/g,
];
const PATH_IN_TASK = /(?<![\w.:/@-])(?:~|\.{1,2})?\/[\w.~@%+-]+(?:\/[\w.~@%+-]*)*|(?<![\w./:@-])[\w.-]+(?:\/[\w.-]+)+/g;
const REPO_IN_TASK = /(?<![\w./:@-])([a-z0-9][\w.-]{0,38})\/([\w.-]{1,100})(?![\w/])/gi;

/** The one count the task names ("my 100 most recent", "the last 5"), if exactly one. */
function taskCount(task: string): number | undefined {
  const found = new Set<number>();
  const lower = task.toLowerCase();
  for (const re of COUNT_PATTERNS) for (const m of lower.matchAll(re)) found.add(Number(m[1]));
  if (found.size !== 1) return undefined;
  const [n] = [...found];
  return n !== undefined && n > 0 ? n : undefined;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

function isUnder(child: string, parent: string): boolean {
  if (child.split('/').includes('..')) return false;
  const p = trimSlash(parent);
  const c = trimSlash(child);
  if (c === p) return false;
  if (p === '' || p === '.' || p === './') return !c.startsWith('/') && !c.startsWith('~');
  if (p === '/') return c.startsWith('/');
  if (p === '~') return c.startsWith('~/');
  return c.startsWith(`${p}/`);
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : p.slice(0, i);
}

/** True when every constraint the boundary puts on `arg` is one this module can check and `value` passes it. */
function boundaryAllows(boundary: Boundary, arg: string, value: unknown): boolean {
  const constraints: readonly ArgConstraint[] = boundary.args[arg] ?? [];
  for (const c of constraints) {
    switch (c.kind) {
      case 'range':
        if (typeof value !== 'number' || (c.min !== undefined && value < c.min) || (c.max !== undefined && value > c.max)) return false;
        break;
      case 'within':
        if (typeof value !== 'string' || !c.roots.some((r) => trimSlash(value) === trimSlash(r) || isUnder(value, r))) return false;
        break;
      case 'prefix':
        if (typeof value !== 'string' || !c.prefixes.some((p) => value.startsWith(p))) return false;
        break;
      case 'oneOf':
        if (!c.values.some((v) => v === value)) return false;
        break;
      case 'maxLength':
        if (typeof value !== 'string' || value.length > c.max) return false;
        break;
      default:
        // domain, pattern, fromTask, absent: leave those arguments to the guard.
        return false;
    }
  }
  return true;
}

/** Proposes a narrowing for a read-only call, or undefined when the task names nothing narrower. */
export function proposeNarrowing(call: ToolCall, task: string, boundary: Boundary): NarrowProposal | undefined {
  const args: Record<string, unknown> = {};
  const evidence: Evidence[] = [];
  const reasons: string[] = [];
  const toolWords = splitWords(call.tool);
  const directoryTool = toolWords.some((w) => DIRECTORY_TOOL.test(w));

  const count = taskCount(task);
  const taskPaths = [...task.matchAll(PATH_IN_TASK)].map((m) => trimSlash(m[0].replace(/[.,;:!?)'"]+$/, ''))).filter((p) => !/^(?:www\.|https?:)/.test(p));
  const taskRepos = [...task.matchAll(REPO_IN_TASK)].map((m) => m[0]);

  for (const [name, value] of Object.entries(call.args)) {
    if (count !== undefined && LIMIT_ARG.test(name)) {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
      if (n !== undefined && n > count) {
        const narrowed = typeof value === 'string' ? String(count) : count;
        if (boundaryAllows(boundary, name, narrowed)) {
          args[name] = narrowed;
          evidence.push({ arg: name, source: 'task', detail: `the task asks for ${count}; the call asks for ${n}` });
          reasons.push(`${name} ${n} → ${count}`);
        }
      }
      continue;
    }
    if (typeof value !== 'string') continue;
    if (PATH_ARG.test(name) || (name === 'file_path' && directoryTool)) {
      const candidates = new Set<string>();
      for (const t of taskPaths) {
        const looksFile = /\.[a-z0-9]{1,5}$/i.test(t);
        const c = looksFile && directoryTool ? dirname(t) : t;
        if (isUnder(c, value)) candidates.add(c);
      }
      if (candidates.size === 1) {
        const [c] = [...candidates];
        if (c !== undefined && boundaryAllows(boundary, name, c)) {
          args[name] = c;
          evidence.push({ arg: name, source: 'task', detail: `the task names ${c}, inside the requested ${value}` });
          reasons.push(`${name} ${value} → ${c}`);
        }
      }
      continue;
    }
    if (REPO_ARG.test(name) && !value.includes('/')) {
      const repos = new Set(taskRepos.filter((r) => r.toLowerCase().startsWith(`${value.toLowerCase()}/`)));
      if (repos.size === 1) {
        const [r] = [...repos];
        if (r !== undefined && boundaryAllows(boundary, name, r)) {
          args[name] = r;
          evidence.push({ arg: name, source: 'task', detail: `the task names the repository ${r} of ${value}` });
          reasons.push(`${name} ${value} → ${r}`);
        }
      }
    }
  }
  if (reasons.length === 0) return undefined;
  return { args, evidence, reason: `narrowed to what the task names: ${reasons.join('; ')}` };
}
