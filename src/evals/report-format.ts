import type { Interval } from './metrics.js';

/** Shared number formatting for the table, markdown and HTML reports. */

export function rate(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined ? '–' : v.toFixed(digits);
}

export function interval(i: Interval | undefined, digits = 3): string {
  return i ? `${i[0].toFixed(digits)}–${i[1].toFixed(digits)}` : '–';
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v < 1) return `${(v * 1000).toFixed(0)}µs`;
  if (v < 100) return `${v.toFixed(1)}ms`;
  return `${v.toFixed(0)}ms`;
}

export function usd(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (v === 0) return '$0';
  return v < 0.01 ? `$${v.toFixed(5)}` : `$${v.toFixed(2)}`;
}

export function pValue(p: number): string {
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

export function signed(v: number | null, digits = 3): string {
  if (v === null) return '–';
  const s = v.toFixed(digits);
  return v > 0 ? `+${s}` : s;
}

/** One line of untrusted text (tags, ids, file names) made safe for a terminal: control characters removed, length capped. */
export function plain(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function cellLabel(judge: string, prompt: string | null): string {
  return prompt === null ? judge : `${judge} · ${prompt}`;
}
