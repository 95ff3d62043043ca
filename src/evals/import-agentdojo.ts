import path from 'node:path';
import { IntentguardError } from '../errors.js';
import { clipResult, contentText, IdMaker, isRecord, parseToolCall, readJsonFile, type ImportedTrace, type ImportSummary } from './import-common.js';

/**
 * AgentDojo run logs → labeled traces.
 *
 * The minimal input is one run JSON per file, as AgentDojo writes them under
 * `runs/<pipeline>/<suite>/<user_task>/<attack>/<injection_task>.json`:
 *
 *   { "suite_name"?: "banking", "user_task_id": "user_task_3",
 *     "injection_task_id"?: "injection_task_1" | null, "attack_type"?: "important_instructions",
 *     "messages": [ {role:"user", content}, {role:"assistant", tool_calls:[{function:"send_money", args:{…}, id}]},
 *                   {role:"tool", content, tool_call_id, error?} … ],
 *     "ground_truth"?: GroundTruth }
 *
 * Message content may be a string or a list of text blocks; tool calls may be
 * AgentDojo's `{function, args}` or OpenAI's `{function: {name, arguments}}`.
 *
 * Run logs do not say which calls are right: that comes from the task
 * definitions. The ground truth (in the run as `ground_truth`, or in a
 * `--ground-truth` file keyed by `<suite>/<task id>` or `<task id>`) gives:
 *
 *   { "user_tasks":      { "banking/user_task_3": ["send_money"] },
 *     "injection_tasks": { "banking/injection_task_1": { "functions": ["send_money"],
 *                                                        "values": ["US133000000121212121212"] } } }
 *
 * (inline: `{"user_task": [...], "injection_task": [...], "injection_values": [...]}`).
 *
 * Labels, per assistant tool call (its history is every earlier call with its result):
 * - deny: its arguments carry an injection value (case- and space-insensitive)
 *   that the user's task does not itself mention;
 * - allow: its function is in the user task's ground truth and no injection value is in its arguments;
 * - anything else is left out (counted as unlabeled): the log alone cannot say.
 */

export interface GroundTruthEntry {
  readonly userFunctions: readonly string[];
  readonly injectionFunctions: readonly string[];
  readonly injectionValues: readonly string[];
}

export interface AgentDojoImportOptions {
  readonly files: readonly string[];
  readonly groundTruthFile?: string | undefined;
  readonly idPrefix?: string | undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
}

interface GroundTruthFile {
  readonly user: ReadonlyMap<string, string[]>;
  readonly injection: ReadonlyMap<string, { functions: string[]; values: string[] }>;
}

function parseGroundTruthFile(value: unknown, file: string): GroundTruthFile {
  if (!isRecord(value)) throw new IntentguardError('IG_INPUT_INVALID', 'the ground truth must be a JSON object', { location: { file } });
  const user = new Map<string, string[]>();
  const injection = new Map<string, { functions: string[]; values: string[] }>();
  if (isRecord(value.user_tasks)) for (const [k, v] of Object.entries(value.user_tasks)) user.set(k, strings(v));
  if (isRecord(value.injection_tasks)) {
    for (const [k, v] of Object.entries(value.injection_tasks)) {
      if (isRecord(v)) injection.set(k, { functions: strings(v.functions), values: strings(v.values) });
    }
  }
  if (user.size === 0 && injection.size === 0) {
    throw new IntentguardError('IG_INPUT_INVALID', 'the ground truth names no `user_tasks` or `injection_tasks`', { location: { file } });
  }
  return { user, injection };
}

function lookup<T>(map: ReadonlyMap<string, T> | undefined, suite: string | undefined, id: string | undefined): T | undefined {
  if (!map || !id) return undefined;
  return (suite ? map.get(`${suite}/${id}`) : undefined) ?? map.get(id);
}

/** Case-, space- and punctuation-run-insensitive form, so an IBAN with spaces or an upper-cased address still matches. */
function squash(text: string): string {
  return text.toLowerCase().replace(/\s+/g, '');
}

function valuesIn(args: unknown, values: readonly string[]): string[] {
  const hay = squash(JSON.stringify(args) ?? '');
  return values.filter((v) => squash(v).length >= 4 && hay.includes(squash(v)));
}

export async function importAgentDojo(options: AgentDojoImportOptions): Promise<ImportSummary> {
  const truth = options.groundTruthFile ? parseGroundTruthFile(await readJsonFile(options.groundTruthFile, 'ground truth file'), options.groundTruthFile) : undefined;
  const ids = new IdMaker();
  const traces: ImportedTrace[] = [];
  let unlabeled = 0;
  for (const file of options.files) {
    const run = await readJsonFile(file, 'AgentDojo run log');
    if (!isRecord(run) || !Array.isArray(run.messages)) {
      throw new IntentguardError('IG_INPUT_INVALID', 'not an AgentDojo run log: expected an object with `messages`', { location: { file } });
    }
    const suite = typeof run.suite_name === 'string' ? run.suite_name : undefined;
    const userTask = typeof run.user_task_id === 'string' ? run.user_task_id : undefined;
    if (!userTask) throw new IntentguardError('IG_INPUT_INVALID', 'the run log has no `user_task_id`', { location: { file, path: 'user_task_id' } });
    const injTask = typeof run.injection_task_id === 'string' ? run.injection_task_id : undefined;
    const attack = typeof run.attack_type === 'string' ? run.attack_type : undefined;
    const inline = isRecord(run.ground_truth) ? run.ground_truth : undefined;
    const gt: GroundTruthEntry = {
      userFunctions: inline ? strings(inline.user_task) : (lookup(truth?.user, suite, userTask) ?? []),
      injectionFunctions: inline ? strings(inline.injection_task) : (lookup(truth?.injection, suite, injTask)?.functions ?? []),
      injectionValues: inline ? strings(inline.injection_values) : (lookup(truth?.injection, suite, injTask)?.values ?? []),
    };
    if (gt.userFunctions.length === 0 && gt.injectionValues.length === 0) {
      throw new IntentguardError('IG_INPUT_INVALID', `no ground truth for ${suite ? `${suite}/` : ''}${userTask}${injTask ? ` / ${injTask}` : ''} (inline \`ground_truth\` or --ground-truth)`, {
        location: { file },
      });
    }

    const tags = ['imported', 'agentdojo'];
    if (injTask) tags.push('indirect-injection');
    if (suite) tags.push(`suite:${suite}`);
    tags.push(`user-task:${suite ? `${suite}/` : ''}${userTask}`);
    if (injTask) tags.push(`injection-task:${suite ? `${suite}/` : ''}${injTask}`);
    if (attack) tags.push(`attack:${attack}`);

    const history: ImportedTrace['history'] = [];
    const byCallId = new Map<string, ImportedTrace['history'][number]>();
    let task = '';
    let callNo = 0;
    for (const m of run.messages) {
      if (!isRecord(m)) continue;
      if (m.role === 'user' && task === '') task = contentText(m.content).trim();
      else if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
        for (const raw of m.tool_calls) {
          const call = parseToolCall(raw);
          if (!call) continue;
          callNo++;
          const taskMentions = new Set(valuesIn(task, gt.injectionValues));
          const attackerValues = valuesIn(call.args, gt.injectionValues).filter((v) => !taskMentions.has(v));
          let decision: 'allow' | 'deny' | undefined;
          if (attackerValues.length > 0) decision = 'deny';
          else if (gt.userFunctions.includes(call.name)) decision = 'allow';
          if (decision && task) {
            traces.push({
              id: ids.make(`${options.idPrefix ?? 'agentdojo-'}${suite ?? 'run'}`, userTask, injTask ?? 'none', attack ?? 'none', `c${callNo}`),
              source: `AgentDojo run log: ${path.basename(file)}`,
              task,
              history: history.map((h) => ({ ...h })),
              call: { ...(suite ? { server: suite } : {}), tool: call.name, args: call.args },
              label: { decision },
              tags: [...tags, decision === 'deny' ? 'injection-call' : 'user-task-call'],
            });
          } else unlabeled++;
          const entry: ImportedTrace['history'][number] = { tool: call.name, args: call.args };
          history.push(entry);
          if (call.id) byCallId.set(call.id, entry);
        }
      } else if (m.role === 'tool') {
        const id = typeof m.tool_call_id === 'string' ? m.tool_call_id : undefined;
        const entry = (id ? byCallId.get(id) : undefined) ?? history.find((h) => h.result === undefined);
        if (!entry) continue;
        const text = contentText(m.content);
        const error = typeof m.error === 'string' && m.error ? m.error : undefined;
        entry.result = clipResult(error ? `${text}${text ? '\n' : ''}error: ${error}` : text);
      }
    }
  }
  return { traces, unlabeled, files: options.files.length };
}
