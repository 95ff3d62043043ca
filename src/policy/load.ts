import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { IntentguardError } from '../errors.js';
import { compilePolicySet } from './compile.js';
import type { CompiledPolicySet, PolicySource } from './compile.js';
import { PolicySet } from './engine.js';
import { EMBEDDED_DEFAULTS } from './rule.js';
import { POLICY_LIMITS } from './schema.js';
import type { PolicyEngine } from './types.js';

const POLICY_FILE = /\.ya?ml$/i;

/**
 * Expands files and directories into policy files: a directory contributes its
 * `*.yaml` / `*.yml` files (not recursively, hidden files skipped), sorted by
 * name so the load order — and with it `matchedRules` order — is stable.
 */
export async function policyFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new IntentguardError('IG_INPUT_INVALID', 'policy path does not exist', { location: { file: p } });
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).filter((n) => POLICY_FILE.test(n) && !n.startsWith('.')).sort();
      const found: string[] = [];
      for (const n of names) {
        const full = path.join(p, n);
        if ((await stat(full)).isFile()) found.push(full);
      }
      if (found.length === 0) throw new IntentguardError('IG_INPUT_INVALID', 'directory holds no *.yaml or *.yml policy files', { location: { file: p } });
      out.push(...found);
    } else {
      out.push(p);
    }
  }
  if (out.length === 0) throw new IntentguardError('IG_INPUT_INVALID', 'no policy files given');
  return [...new Set(out)];
}

/** Reads policy files and directories (see `policyFiles`) into sources. */
export async function readPolicySources(paths: readonly string[]): Promise<PolicySource[]> {
  const files = await policyFiles(paths);
  const sources: PolicySource[] = [];
  for (const file of files) {
    const info = await stat(file);
    if (info.size > POLICY_LIMITS.fileBytes) {
      throw new IntentguardError('IG_POLICY_INVALID', `policy file is larger than ${POLICY_LIMITS.fileBytes} bytes`, { location: { file } });
    }
    sources.push({ file, text: await readFile(file, 'utf8') });
  }
  return sources;
}

/** Loads and compiles the set, keeping the parsed files (for inline tests). */
export async function loadPolicySet(paths: readonly string[]): Promise<CompiledPolicySet> {
  return compilePolicySet(await readPolicySources(paths));
}

/**
 * Loads policy files and directories into one frozen engine. Throws
 * `IG_POLICY_INVALID` / `IG_CEL_INVALID` / `IG_REGEX_UNSAFE` (file, line, rule)
 * or `IG_INPUT_INVALID` for a missing path; never returns a partial set.
 */
export async function loadPolicies(paths: readonly string[]): Promise<PolicyEngine> {
  return (await loadPolicySet(paths)).engine;
}

/** Compiles policy texts into one frozen engine; pure (no I/O). Throws like `loadPolicies`. */
export function compilePolicies(docs: readonly PolicySource[]): PolicyEngine {
  return compilePolicySet(docs).engine;
}

/** The embedded default: no rules, every call goes to the judge, a judge failure denies, credentials live 60 s. */
export function defaultPolicyEngine(): PolicyEngine {
  return new PolicySet([], EMBEDDED_DEFAULTS, []);
}
