import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IntentguardError } from '../errors.js';

/** One verb of the `intentguard` command. Thin: parse flags, call into a module, print. */
export interface Verb {
  /** The text printed by `intentguard <verb> --help`. */
  readonly help: string;
  /** Runs the verb; returns the exit code (0 ok, 1 check failed, 2 bad usage or input). */
  run(argv: readonly string[]): Promise<number>;
}

/** `node:util` parseArgs, with unknown flags and bad values reported as usage errors (exit 2). */
export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>, const P extends boolean = false>(
  argv: readonly string[],
  options: O,
  allowPositionals?: P,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: P; strict: true }>> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: (allowPositionals ?? false) as P, strict: true });
  } catch (e) {
    throw new IntentguardError('IG_USAGE', e instanceof Error ? e.message : String(e));
  }
}
