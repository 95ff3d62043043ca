/**
 * What each check of the offline judge contributes: a leaning (allow or deny),
 * how sure it is, and evidence the user can read. The judge combines them
 * (denials win); shared here so the checks can live in their own files.
 */
import type { Evidence } from './types.js';

export interface Signal {
  readonly decision: 'allow' | 'deny';
  readonly confidence: number;
  readonly reason: string;
  readonly evidence: readonly Evidence[];
}

const SHORT = 60;

/** A value as a reason may show it: one line, at most a few dozen characters. */
export function quote(v: string): string {
  const one = v.replace(/\s+/g, ' ');
  return one.length > SHORT ? `${one.slice(0, SHORT - 1)}…` : one;
}

/** Walks the scalar values of a call's arguments (strings, numbers, booleans), depth- and count-bounded. */
export function scalarArgs(args: Readonly<Record<string, unknown>>, max = 256): { path: string; key: string; value: string | number | boolean }[] {
  const out: { path: string; key: string; value: string | number | boolean }[] = [];
  const walk = (v: unknown, path: string, key: string, depth: number): void => {
    if (out.length >= max || depth > 8) return;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push({ path, key, value: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, path ? `${path}.${i}` : String(i), key, depth + 1));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, path ? `${path}.${k}` : k, k, depth + 1);
  };
  walk(args, '', '', 0);
  return out;
}
