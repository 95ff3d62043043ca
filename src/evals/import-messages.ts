import path from 'node:path';
import { IntentguardError } from '../errors.js';
import {
  clipResult,
  contentText,
  IdMaker,
  IMPORT_LIMITS,
  isRecord,
  parseLabel,
  parseToolCall,
  readJsonFile,
  readJsonOrLines,
  type ImportedTrace,
  type ImportSummary,
} from './import-common.js';

/**
 * Plain message traces (OpenAI chat style) → labeled traces.
 *
 * Input: a JSON file holding one conversation, an array of conversations, or
 * JSON Lines with one conversation per line. A conversation is either a bare
 * array of messages or an object:
 *
 *   { "id"?: string, "messages": [...], "tools"?: [OpenAI tool definitions],
 *     "principal"?: {agent?, user?}, "server"?: string }
 *
 * Messages: `{role: "system"|"user"|"assistant"|"tool", content,
 * tool_calls?: [{id, function: {name, arguments}}], tool_call_id?}`.
 *
 * Each assistant tool call becomes one trace: the task is the user messages
 * before it, the history is the earlier tool calls with their results (joined
 * by `tool_call_id`, else in order). Labels, in this order: a `label` on the
 * tool call object (`"allow"`, `"deny"` or `{decision, args?, scopes?}`), the
 * `--labels` file (a JSON object mapping a tool call id, or `<conversation
 * id>#<n>` with n the 1-based call number, to a label), else the trace is
 * written unlabeled and tagged `unlabeled` (for `intentguard decide`; the eval
 * loader refuses unlabeled traces).
 */

export interface MessagesImportOptions {
  readonly files: readonly string[];
  readonly labelsFile?: string | undefined;
  /** Skip calls with no label instead of writing them unlabeled. */
  readonly labeledOnly?: boolean | undefined;
  readonly idPrefix?: string | undefined;
}

interface Conversation {
  readonly id: string;
  readonly messages: readonly unknown[];
  readonly tools: unknown;
  readonly principal: unknown;
  readonly server: unknown;
}

function conversationsOf(value: unknown, file: string, line: number, fallbackId: string): Conversation[] {
  const one = (v: unknown, id: string): Conversation => {
    if (Array.isArray(v)) return { id, messages: v, tools: undefined, principal: undefined, server: undefined };
    if (isRecord(v) && Array.isArray(v.messages)) {
      return { id: typeof v.id === 'string' && v.id ? v.id : id, messages: v.messages, tools: v.tools, principal: v.principal, server: v.server };
    }
    throw new IntentguardError('IG_INPUT_INVALID', 'expected a conversation: an array of messages or an object with `messages`', { location: { file, line } });
  };
  // An array whose first element has a `role` is one conversation's messages; otherwise a list of conversations.
  if (Array.isArray(value) && !(isRecord(value[0]) && typeof value[0].role === 'string')) {
    return value.map((v, i) => one(v, `${fallbackId}-${i + 1}`));
  }
  return [one(value, fallbackId)];
}

function toolSpecs(raw: unknown): ImportedTrace['tools'] {
  if (!Array.isArray(raw)) return undefined;
  const out: NonNullable<ImportedTrace['tools']> = [];
  for (const t of raw) {
    if (!isRecord(t)) continue;
    const fn = isRecord(t.function) ? t.function : t;
    if (typeof fn.name !== 'string') continue;
    out.push({
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      ...(fn.parameters !== undefined ? { inputSchema: fn.parameters } : fn.inputSchema !== undefined ? { inputSchema: fn.inputSchema } : {}),
    });
  }
  return out.length ? out : undefined;
}

function principalOf(raw: unknown): ImportedTrace['principal'] {
  if (!isRecord(raw)) return undefined;
  const out: Record<string, unknown> = {};
  if (typeof raw.agent === 'string') out.agent = raw.agent;
  if (typeof raw.user === 'string') out.user = raw.user;
  if (Array.isArray(raw.groups) && raw.groups.every((g) => typeof g === 'string')) out.groups = raw.groups;
  return Object.keys(out).length ? out : undefined;
}

export async function importMessages(options: MessagesImportOptions): Promise<ImportSummary> {
  const labels = options.labelsFile ? await readJsonFile(options.labelsFile, 'labels file') : undefined;
  if (labels !== undefined && !isRecord(labels)) {
    throw new IntentguardError('IG_INPUT_INVALID', 'the labels file must be a JSON object mapping call ids to labels', { location: { file: options.labelsFile ?? '' } });
  }
  const ids = new IdMaker();
  const traces: ImportedTrace[] = [];
  let unlabeled = 0;
  for (const file of options.files) {
    const stem = path.basename(file).replace(/\.[^.]*$/, '');
    for (const { value, line } of await readJsonOrLines(file, 'message trace')) {
      for (const conv of conversationsOf(value, file, line, line === 1 ? stem : `${stem}-l${line}`)) {
        if (conv.messages.length > IMPORT_LIMITS.maxMessages) {
          throw new IntentguardError('IG_INPUT_INVALID', `a conversation has more than ${IMPORT_LIMITS.maxMessages} messages`, { location: { file, line } });
        }
        const tools = toolSpecs(conv.tools);
        const principal = principalOf(conv.principal);
        const server = typeof conv.server === 'string' ? conv.server : undefined;
        const userTexts: string[] = [];
        const history: ImportedTrace['history'] = [];
        const byCallId = new Map<string, ImportedTrace['history'][number]>();
        const awaiting: ImportedTrace['history'][number][] = [];
        let callNo = 0;
        for (const m of conv.messages) {
          if (!isRecord(m)) continue;
          if (m.role === 'user') {
            const t = contentText(m.content).trim();
            if (t) userTexts.push(t);
          } else if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
            for (const raw of m.tool_calls) {
              const call = parseToolCall(raw);
              if (!call) continue;
              callNo++;
              const key = `${conv.id}#${callNo}`;
              const label =
                parseLabel(call.label) ?? (labels ? (parseLabel(call.id ? labels[call.id] : undefined) ?? parseLabel(labels[key])) : undefined);
              if (userTexts.length > 0 && (label || !options.labeledOnly)) {
                const trace: ImportedTrace = {
                  id: ids.make(`${options.idPrefix ?? ''}${conv.id}`, String(callNo)),
                  source: `messages import: ${path.basename(file)}`,
                  task: userTexts.join('\n\n'),
                  ...(principal ? { principal } : {}),
                  history: history.map((h) => ({ ...h })),
                  call: { ...(server ? { server } : {}), tool: call.name, args: call.args },
                  ...(tools ? { tools } : {}),
                  ...(label ? { label } : {}),
                  tags: label ? ['imported', 'messages'] : ['imported', 'messages', 'unlabeled'],
                };
                traces.push(trace);
              }
              if (!label) unlabeled++;
              const entry: ImportedTrace['history'][number] = { tool: call.name, args: call.args };
              history.push(entry);
              if (call.id) byCallId.set(call.id, entry);
              awaiting.push(entry);
            }
          } else if (m.role === 'tool') {
            const id = typeof m.tool_call_id === 'string' ? m.tool_call_id : undefined;
            const entry = (id ? byCallId.get(id) : undefined) ?? awaiting.find((e) => e.result === undefined);
            if (entry) entry.result = clipResult(contentText(m.content));
          }
        }
      }
    }
  }
  return { traces, unlabeled, files: options.files.length };
}
