import type { Credential } from '../credentials/types.js';

export const SCRUBBED = '[REDACTED]';

/** The secret strings of a credential, as they could appear in an upstream's answer. */
export function credentialSecrets(credential: Credential | undefined): string[] {
  if (!credential) return [];
  const out = [credential.secret.reveal()];
  for (const v of Object.values(credential.extra ?? {})) out.push(v.reveal());
  return out.filter((s) => s.length > 0);
}

/**
 * Replaces every occurrence of a secret in every string (keys included) of a
 * JSON-like value with `[REDACTED]`; the step every result passes before it
 * goes back to the agent, so a server echoing its credential leaks nothing.
 * Returns the same object when nothing had to change. Iterative: hostile depth
 * cannot overflow the stack.
 */
export function scrub<T>(value: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length > 0);
  if (list.length === 0) return value;
  const clean = (s: string): string => {
    let out = s;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(SCRUBBED);
    return out;
  };
  if (typeof value === 'string') return clean(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  // A cheap test first: most results hold no secret at all.
  let serialized: string;
  try {
    serialized = JSON.stringify(value);
  } catch {
    serialized = '';
  }
  if (serialized !== '' && !list.some((s) => serialized.includes(s) || serialized.includes(JSON.stringify(s).slice(1, -1)))) return value;

  const root: { v: unknown } = { v: value };
  const stack: { holder: Record<string | number, unknown>; key: string | number }[] = [{ holder: root as Record<string, unknown>, key: 'v' }];
  while (stack.length > 0) {
    const { holder, key } = stack.pop()!;
    const v = holder[key];
    if (typeof v === 'string') {
      holder[key] = clean(v);
    } else if (Array.isArray(v)) {
      const copy = v.slice();
      holder[key] = copy;
      for (let i = 0; i < copy.length; i++) stack.push({ holder: copy as unknown as Record<number, unknown>, key: i });
    } else if (typeof v === 'object' && v !== null) {
      const copy: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) copy[clean(k)] = item;
      holder[key] = copy;
      for (const k of Object.keys(copy)) stack.push({ holder: copy, key: k });
    }
  }
  return root.v as T;
}
