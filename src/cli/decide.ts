import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { defaultConfig, loadConfig } from '../config/load.js';
import { IntentguardError } from '../errors.js';
import { parseTraceText } from '../evals/dataset.js';
import { createRuntime } from '../runtime/runtime.js';
import { parseFlags, type Verb } from './verb.js';

const help = `usage: intentguard decide [--config FILE] [--policy PATH]... [--judge SPEC] [--mode enforce|shadow]
                          [--audit FILE] --trace FILE|-

One decision for one trace (the labeled-trace format; the label, if any, is ignored),
printed as JSON: decision, grant (scopes and final arguments), matched rules, reasons,
the judge's verdict with its evidence, flags and timings. The decision is audited.

  --config FILE   service configuration (default: the embedded default)
  --policy PATH   policy file or folder, repeatable (overrides the config's policies)
  --judge SPEC    offline | openai:MODEL | anthropic:MODEL | ollama:MODEL | cascade:A>B
  --mode M        enforce (default) or shadow
  --audit FILE    audit log (default: the config's, ./intentguard-audit.jsonl)
  --trace FILE    the trace; '-' reads standard input

Exit codes: 0 decided (whatever the decision), 2 bad usage or a malformed trace.`;

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    policy: { type: 'string', multiple: true },
    judge: { type: 'string' },
    mode: { type: 'string' },
    audit: { type: 'string' },
    trace: { type: 'string' },
  });
  if (values.trace === undefined) throw new IntentguardError('IG_USAGE', '--trace FILE|- is required');
  if (values.mode !== undefined && values.mode !== 'enforce' && values.mode !== 'shadow') {
    throw new IntentguardError('IG_USAGE', `--mode must be enforce or shadow, not '${values.mode}'`);
  }
  const file = values.trace === '-' ? '<stdin>' : values.trace;
  const text = await readTrace(values.trace);
  const trace = parseTraceText(text, file);

  const loaded = values.config === undefined ? defaultConfig() : await loadConfig(values.config);
  const runtime = await createRuntime(loaded, {
    policyPaths: values.policy,
    judgeSpec: values.judge,
    mode: values.mode,
    auditFile: values.audit,
  });
  try {
    const sessionId = `decide-${randomUUID()}`;
    const session = runtime.sessions.getOrCreate(sessionId, { task: trace.task, principal: trace.principal });
    for (const h of trace.history) session.recordResult({ server: h.server ?? trace.call.server, tool: h.tool, args: h.args }, h.result);
    const decision = await runtime.guard.decide(
      {
        sessionId,
        call: trace.call,
        principal: trace.principal,
        task: trace.task,
        tool: trace.tools.find((t) => t.name === trace.call.tool),
        tools: trace.tools.filter((t) => t.name !== trace.call.tool),
      },
      session,
    );
    process.stdout.write(`${JSON.stringify({ ...decision, audit: values.audit ?? runtime.config.audit.file }, null, 2)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

async function readTrace(where: string): Promise<string> {
  try {
    if (where === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(where, 'utf8');
  } catch (e) {
    throw new IntentguardError('IG_INPUT_INVALID', `cannot read the trace: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, {
      location: { file: where },
    });
  }
}

export const decide: Verb = { help, run };
