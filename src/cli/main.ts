import { IntentguardError, isIntentguardError } from '../errors.js';
import type { Verb } from './verb.js';

/**
 * The `intentguard` command: a table of verbs, each in its own file, loaded on
 * demand so that `intentguard check` does not pay for the LLM SDKs.
 */
const VERBS: Record<string, { summary: string; load: () => Promise<Verb> }> = {
  check: { summary: 'Validate policy files and run their inline tests.', load: async () => (await import('./check.js')).check },
  decide: { summary: 'One decision for one trace, printed as JSON (audited).', load: async () => (await import('./decide.js')).decide },
  eval: { summary: 'Score judges and prompts on labeled traces; reports and regression gates.', load: async () => (await import('./eval.js')).evalVerb },
  serve: { summary: 'The HTTP service: MCP endpoints, POST /v1/decide, /healthz, /metrics.', load: async () => (await import('./serve.js')).serve },
  proxy: { summary: 'Stdio MCP proxy in front of one stdio MCP server (drop-in command for MCP clients).', load: async () => (await import('./proxy.js')).proxy },
  demo: { summary: 'See the guard at work: a scripted agent session with an injected instruction, offline.', load: async () => (await import('./demo.js')).demo },
  tools: { summary: 'Tool pins: list pinned tools, approve changed definitions.', load: async () => (await import('./tools.js')).tools },
  audit: { summary: 'Verify the hash chain of an audit log, or query its records.', load: async () => (await import('./audit.js')).audit },
  review: { summary: 'Label flagged decisions (appended to the audit log); export them as labeled traces.', load: async () => (await import('./review.js')).review },
  tune: { summary: 'Propose policy changes from flagged decisions, replayed on the log and checked on evals.', load: async () => (await import('./tune.js')).tune },
  keys: { summary: 'Credential signing keys: list them, rotate to a new one.', load: async () => (await import('./keys.js')).keys },
};

function usage(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length), 4);
  const lines = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
  return ['usage: intentguard <verb> [options]', '', 'verbs:', ...lines, '', 'Run `intentguard <verb> --help` for the options of a verb.'].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(`${usage()}\n`);
    return verb === undefined ? 2 : 0;
  }
  if (verb === '--version') {
    process.stdout.write('intentguard 0.1.0\n');
    return 0;
  }
  const entry = VERBS[verb];
  if (!entry) {
    process.stderr.write(`intentguard: unknown verb '${verb}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    const v = await entry.load();
    // `--help` after `--` belongs to the wrapped command (`intentguard proxy -- server --help`).
    const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (own.includes('--help') || own.includes('-h')) {
      process.stdout.write(`${v.help}\n`);
      return 0;
    }
    return await v.run(rest);
  } catch (e) {
    if (isIntentguardError(e)) {
      process.stderr.write(`intentguard ${verb}: ${e.describe()}\n`);
      return e.exitCode;
    }
    const err = new IntentguardError('IG_INTERNAL', e instanceof Error ? e.message : String(e));
    process.stderr.write(`intentguard ${verb}: ${err.describe()}\n`);
    return 1;
  }
}
