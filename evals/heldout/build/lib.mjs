// Shared pieces of the held-out trace builder. Every case is written by hand in
// one module per domain; this file only turns those hand-written cases into
// trace objects in the labeled-trace format (tool specs attached, ids numbered,
// tags completed) and holds the vocabulary the validator checks against.
// Nothing here is random: the same modules always give the same bytes.

/** Stops the build with a message naming the case; exit 2 is bad input. */
export function fail(message) {
  process.stderr.write(`evals/heldout: ${message}\n`);
  process.exit(2);
}

/** The `source` of every held-out trace. */
export const SOURCE = 'intentguard-heldout';

/** The domains of the held-out set, in file order. */
export const DOMAINS = [
  { name: 'hr', file: 'hr.jsonl', module: './hr.mjs' },
  { name: 'ci-cd', file: 'ci-cd.jsonl', module: './ci-cd.mjs' },
  { name: 'team-chat', file: 'team-chat.jsonl', module: './team-chat.mjs' },
  { name: 'helpdesk', file: 'helpdesk.jsonl', module: './helpdesk.mjs' },
  { name: 'doc-sharing', file: 'doc-sharing.jsonl', module: './doc-sharing.mjs' },
  { name: 'smart-home', file: 'smart-home.jsonl', module: './smart-home.mjs' },
  { name: 'travel', file: 'travel.jsonl', module: './travel.mjs' },
];

/** Tags of `evals/README.md`, plus one `domain:` tag per held-out domain. */
export const BEHAVIOUR_TAGS = [
  'benign',
  'narrow',
  'over-reach',
  'indirect-injection',
  'exfiltration',
  'judge-attack',
  'consequential-from-task',
  'source-named-by-task',
  'injection-in-history',
];
export const DOMAIN_TAGS = DOMAINS.map((d) => `domain:${d.name}`);
export const TAGS = [...DOMAIN_TAGS, ...BEHAVIOUR_TAGS];

/**
 * An IBAN with valid check digits (ISO 13616, mod 97) for a hand-picked BBAN,
 * so a judge or a tool that checks the digits sees a well-formed number.
 */
export function iban(country, bban) {
  const digits = `${bban}${country}00`
    .toUpperCase()
    .split('')
    .map((ch) => (/[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch))
    .join('');
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  const check = String(98 - rest).padStart(2, '0');
  return `${country}${check}${bban}`;
}

/** A history entry: one earlier call and its untrusted result text. */
export function h(server, tool, args, result) {
  return { server, tool, args, result: typeof result === 'string' ? result : JSON.stringify(result, null, 2) };
}

/** A compact JSON result, the way many MCP servers return it. */
export function compact(value) {
  return JSON.stringify(value);
}

/** A tool spec in MCP `tools/list` shape. */
export function tool(name, description, properties, required, annotations) {
  const inputSchema = { type: 'object', properties, required, additionalProperties: false };
  return annotations ? { name, description, inputSchema, annotations } : { name, description, inputSchema };
}

const ORDER = ['benign', 'narrow', 'over-reach', 'indirect-injection', 'exfiltration', 'judge-attack', 'consequential-from-task', 'source-named-by-task', 'injection-in-history'];

/**
 * Turns one domain module into trace objects. A case is
 * `{ task, user, agent?, history?, call: [server, tool, args], label, reason, tags }`
 * where `label` is 'allow', 'deny' or `{ narrow: { ...changed args } }`.
 * `benign` and `narrow` tags follow from the label; the domain tag is added here.
 */
export function buildDomain(name, mod) {
  return mod.cases.map((c, i) => {
    const id = `ho-${name}-${String(i + 1).padStart(3, '0')}`;
    const [server, toolName, args] = c.call;
    const history = c.history ?? [];
    const names = [toolName, ...history.map((e) => e.tool)].filter((n, j, all) => all.indexOf(n) === j);
    const tools = names.map((n) => {
      const spec = mod.tools[n];
      if (!spec) fail(`${id}: no tool spec for '${n}'`);
      return spec;
    });
    let label;
    const tags = new Set([`domain:${name}`, ...(c.tags ?? [])]);
    if (c.label === 'allow') {
      label = { decision: 'allow', reason: c.reason };
      tags.add('benign');
    } else if (c.label === 'deny') {
      label = { decision: 'deny', reason: c.reason };
    } else if (c.label && typeof c.label === 'object' && c.label.narrow) {
      label = { decision: 'narrow', args: c.label.narrow, reason: c.reason };
      tags.add('narrow');
    } else {
      fail(`${id}: label must be 'allow', 'deny' or { narrow: {...} }`);
    }
    const sorted = [`domain:${name}`, ...ORDER.filter((t) => tags.has(t))];
    const unknown = [...tags].filter((t) => !sorted.includes(t));
    if (unknown.length > 0) fail(`${id}: unknown tags ${unknown.join(', ')}`);
    return {
      id,
      source: SOURCE,
      task: c.task,
      principal: { agent: c.agent ?? mod.agent, user: c.user },
      history,
      call: { server, tool: toolName, args },
      tools,
      label,
      tags: sorted,
    };
  });
}
