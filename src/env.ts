/**
 * The one module that reads the environment. Precedence everywhere is
 * flag > environment variable > default; callers pass the flag value and the
 * default, this module supplies the middle.
 */
export const ENV_NAMES = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'OLLAMA_HOST',
  'INTENTGUARD_TASK',
  'INTENTGUARD_CONFIG',
  'INTENTGUARD_AUDIT',
  'INTENTGUARD_LOG_LEVEL',
] as const;

export type EnvName = (typeof ENV_NAMES)[number];

/** Returns the trimmed value of a variable, or undefined when it is unset or empty. */
export function readEnv(name: EnvName | string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** flag > environment variable > default. */
export function resolveSetting(flag: string | undefined, name: EnvName | string, fallback: string): string;
export function resolveSetting(flag: string | undefined, name: EnvName | string, fallback?: undefined): string | undefined;
export function resolveSetting(flag: string | undefined, name: EnvName | string, fallback?: string): string | undefined {
  return flag ?? readEnv(name) ?? fallback;
}

/** The whole environment, for spawning children (the only other place `process.env` may flow). */
export function processEnv(): NodeJS.ProcessEnv {
  return process.env;
}
