import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { IntentguardError } from '../errors.js';
import { parseLocatedYaml, validateLocated } from '../yaml.js';
import { ConfigSchema, type Config } from './schema.js';

/** A validated configuration with every path resolved against the config file's folder. */
export interface LoadedConfig {
  readonly file: string | undefined;
  readonly config: Config;
}

/** The embedded default: offline judge, judge failure denies, audit to ./intentguard-audit.jsonl. */
export function defaultConfig(): LoadedConfig {
  return { file: undefined, config: Object.freeze(ConfigSchema.parse({})) };
}

export function parseConfig(file: string, text: string): LoadedConfig {
  const doc = parseLocatedYaml(file, text, { code: 'IG_CONFIG_INVALID', maxAliasCount: 100 });
  const config = validateLocated(file, doc, ConfigSchema, 'IG_CONFIG_INVALID');
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  const resolved: Config = {
    ...config,
    policies: config.policies.map(resolve),
    state_dir: resolve(config.state_dir),
    audit: { ...config.audit, file: resolve(config.audit.file) },
    judge: { ...config.judge, ...(config.judge.prompt === undefined ? {} : { prompt: resolve(config.judge.prompt) }) },
    upstreams: config.upstreams.map((u) => ({
      ...u,
      ...(u.stdio?.cwd === undefined ? {} : { stdio: { ...u.stdio, cwd: resolve(u.stdio.cwd) } }),
    })),
  };
  return { file, config: Object.freeze(resolved) };
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new IntentguardError('IG_CONFIG_INVALID', `cannot read config: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {
      location: { file },
    });
  }
  return parseConfig(file, text);
}
