// Checks the held-out .jsonl files on disk, independently of the builder:
// one JSON object per line, required fields, ids unique and well-formed, tag
// vocabulary, label/tag consistency, tool specs present and matching the
// arguments, and that every `narrow` label is a real narrowing of the call.
//
//   node evals/heldout/build/validate.mjs    exit 1 and one line per problem when something is wrong
import { readFileSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';
import { DOMAINS, DOMAIN_TAGS, SOURCE, TAGS } from './lib.mjs';

const TOP_KEYS = new Set(['id', 'source', 'task', 'principal', 'history', 'call', 'tools', 'label', 'tags']);
const DENY_REASONS = ['over-reach', 'indirect-injection', 'exfiltration'];
const ALLOW_ONLY = ['benign', 'consequential-from-task', 'source-named-by-task'];

const problems = [];
const seen = new Map();
let total = 0;
const counts = { allow: 0, narrow: 0, deny: 0 };

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stable(v) {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function segments(p) {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/** Why `narrower` is not a narrowing of `wider` (or equal to it), or null. */
function notNarrowing(wider, narrower) {
  if (stable(wider) === stable(narrower)) return null;
  if (typeof wider === 'string' && typeof narrower === 'string') {
    if (!wider.includes('/') || !narrower.includes('/')) return `'${narrower}' vs '${wider}': only paths can be narrowed`;
    if (wider.startsWith('/') !== narrower.startsWith('/')) return 'one path is absolute, the other relative';
    const w = segments(wider);
    const n = segments(narrower);
    if (w.includes('..') || n.includes('..')) return "a path has a '..' segment";
    if (n.length < w.length || w.some((s, i) => n[i] !== s)) return `'${narrower}' is not within '${wider}'`;
    return null;
  }
  if (typeof wider === 'number' && typeof narrower === 'number') {
    const ok = Number.isFinite(narrower) && Math.sign(wider) === Math.sign(narrower) && Math.abs(narrower) <= Math.abs(wider);
    return ok ? null : `${narrower} is not a smaller number than ${wider}`;
  }
  if (Array.isArray(wider) && Array.isArray(narrower)) {
    const pool = wider.map(stable);
    for (const item of narrower) {
      const i = pool.indexOf(stable(item));
      if (i < 0) return `${stable(item)} is not in the original list`;
      pool.splice(i, 1);
    }
    return null;
  }
  if (isObject(wider) && isObject(narrower)) {
    const wk = Object.keys(wider).sort();
    const nk = Object.keys(narrower).sort();
    if (stable(wk) !== stable(nk)) return 'an object is narrowed only with the same keys';
    for (const k of wk) {
      const why = notNarrowing(wider[k], narrower[k]);
      if (why) return `${k}: ${why}`;
    }
    return null;
  }
  return 'only paths, numbers, lists and objects of them can be narrowed';
}

/** Arguments checked against the tool's inputSchema: known keys, required keys, enums. */
function checkArgs(where, spec, args) {
  const schema = spec.inputSchema ?? {};
  const props = schema.properties ?? {};
  for (const [k, v] of Object.entries(args)) {
    const p = props[k];
    if (!p) {
      problems.push(`${where}: argument '${k}' is not in the inputSchema of ${spec.name}`);
      continue;
    }
    if (p.enum && !p.enum.includes(v)) problems.push(`${where}: '${k}' = ${JSON.stringify(v)} is not in the enum of ${spec.name}`);
    if (p.type === 'array' && !Array.isArray(v)) problems.push(`${where}: '${k}' should be an array`);
    if (p.type === 'array' && Array.isArray(v) && p.items?.enum) {
      for (const item of v) if (!p.items.enum.includes(item)) problems.push(`${where}: '${k}' item ${JSON.stringify(item)} is not in the enum`);
    }
    if ((p.type === 'integer' || p.type === 'number') && typeof v !== 'number') problems.push(`${where}: '${k}' should be a number`);
    if (p.type === 'integer' && typeof v === 'number' && !Number.isInteger(v)) problems.push(`${where}: '${k}' should be an integer`);
    if (p.type === 'string' && typeof v !== 'string') problems.push(`${where}: '${k}' should be a string`);
    if (p.type === 'boolean' && typeof v !== 'boolean') problems.push(`${where}: '${k}' should be a boolean`);
    if (p.type === 'object' && !isObject(v)) problems.push(`${where}: '${k}' should be an object`);
  }
  for (const k of schema.required ?? []) if (!(k in args)) problems.push(`${where}: required argument '${k}' of ${spec.name} is missing`);
}

function checkTrace(t, file, line, domain) {
  const at = `${file}:${line}`;
  if (!isObject(t)) return problems.push(`${at}: not a JSON object`);
  for (const k of Object.keys(t)) if (!TOP_KEYS.has(k)) problems.push(`${at}: unknown key '${k}'`);
  for (const k of TOP_KEYS) if (!(k in t)) problems.push(`${at}: missing '${k}'`);
  const where = `${at} (${t.id})`;
  if (typeof t.id !== 'string' || !new RegExp(`^ho-${domain}-[0-9]{3}$`).test(t.id)) problems.push(`${where}: id must be ho-${domain}-NNN`);
  if (seen.has(t.id)) problems.push(`${where}: duplicate id (first at ${seen.get(t.id)})`);
  seen.set(t.id, at);
  if (t.source !== SOURCE) problems.push(`${where}: source must be '${SOURCE}'`);
  if (typeof t.task !== 'string' || t.task.trim() === '') problems.push(`${where}: empty task`);
  if (!isObject(t.principal) || typeof t.principal.agent !== 'string' || typeof t.principal.user !== 'string') problems.push(`${where}: principal needs agent and user`);
  if (!Array.isArray(t.history)) problems.push(`${where}: history must be an array`);
  if (!isObject(t.call) || typeof t.call.server !== 'string' || typeof t.call.tool !== 'string' || !isObject(t.call.args)) problems.push(`${where}: call needs server, tool and args`);
  if (!Array.isArray(t.tools)) return problems.push(`${where}: tools must be an array`);
  const specs = new Map(t.tools.map((s) => [s.name, s]));
  for (const s of t.tools) {
    if (typeof s.description !== 'string' || !isObject(s.inputSchema)) problems.push(`${where}: tool ${s.name} needs description and inputSchema`);
  }
  const callSpec = specs.get(t.call?.tool);
  if (!callSpec) problems.push(`${where}: no tool spec for the call's tool ${t.call?.tool}`);
  else checkArgs(`${where} call`, callSpec, t.call.args);
  for (const [i, e] of (t.history ?? []).entries()) {
    if (typeof e.tool !== 'string' || !isObject(e.args) || typeof e.result !== 'string') problems.push(`${where}: history[${i}] needs tool, args and a string result`);
    const spec = specs.get(e.tool);
    if (!spec) problems.push(`${where}: no tool spec for history tool ${e.tool}`);
    else checkArgs(`${where} history[${i}]`, spec, e.args);
  }

  // Tags.
  const tags = Array.isArray(t.tags) ? t.tags : [];
  if (new Set(tags).size !== tags.length) problems.push(`${where}: duplicate tags`);
  for (const tag of tags) if (!TAGS.includes(tag)) problems.push(`${where}: tag '${tag}' is not in the vocabulary`);
  const domainTags = tags.filter((x) => DOMAIN_TAGS.includes(x));
  if (domainTags.length !== 1 || domainTags[0] !== `domain:${domain}`) problems.push(`${where}: needs exactly the tag domain:${domain}`);

  // Label and its consistency with the tags.
  const d = t.label?.decision;
  if (!['allow', 'deny', 'narrow'].includes(d)) return problems.push(`${where}: label.decision must be allow, deny or narrow`);
  counts[d]++;
  const has = (x) => tags.includes(x);
  if ((d === 'allow') !== has('benign')) problems.push(`${where}: 'benign' goes with allow and only allow`);
  if ((d === 'narrow') !== has('narrow')) problems.push(`${where}: 'narrow' tag goes with the narrow label and only it`);
  if (d === 'deny' && !DENY_REASONS.some(has)) problems.push(`${where}: a deny needs one of ${DENY_REASONS.join(', ')}`);
  if (d !== 'deny' && DENY_REASONS.some(has)) problems.push(`${where}: ${DENY_REASONS.join('/')} only on deny`);
  if (d !== 'allow' && ALLOW_ONLY.some(has)) problems.push(`${where}: ${ALLOW_ONLY.join('/')} only on allow`);
  if (has('indirect-injection') && !has('injection-in-history')) problems.push(`${where}: an indirect injection arrives through history here; tag injection-in-history`);
  if (has('injection-in-history') && (t.history ?? []).length === 0) problems.push(`${where}: injection-in-history without history`);
  if (typeof t.label.reason !== 'string' || t.label.reason === '') problems.push(`${where}: label.reason is empty`);
  if (d === 'narrow') {
    const args = t.label.args;
    if (!isObject(args) || Object.keys(args).length === 0) return problems.push(`${where}: a narrow label needs args`);
    let changed = false;
    for (const [k, v] of Object.entries(args)) {
      if (!t.call?.args || !(k in t.call.args)) {
        problems.push(`${where}: label.args.${k} is not an argument of the call`);
        continue;
      }
      const why = notNarrowing(t.call.args[k], v);
      if (why) problems.push(`${where}: label.args.${k} is not a narrowing: ${why}`);
      if (stable(t.call.args[k]) !== stable(v)) changed = true;
    }
    if (!changed) problems.push(`${where}: label.args changes nothing`);
    if (callSpec) checkArgs(`${where} label.args`, callSpec, { ...t.call.args, ...args });
  } else if (t.label.args !== undefined) {
    problems.push(`${where}: only a narrow label has args`);
  }
}

for (const d of DOMAINS) {
  const file = `evals/heldout/${d.file}`;
  let text;
  try {
    text = readFileSync(fileURLToPath(new URL(`../${d.file}`, import.meta.url)), 'utf8');
  } catch {
    problems.push(`${file}: missing`);
    continue;
  }
  if (!text.endsWith('\n')) problems.push(`${file}: no newline at the end`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw === '' && i === lines.length - 1) continue;
    if (raw.trim() === '') {
      problems.push(`${file}:${i + 1}: blank line`);
      continue;
    }
    let t;
    try {
      t = JSON.parse(raw);
    } catch (e) {
      problems.push(`${file}:${i + 1}: not JSON (${e.message})`);
      continue;
    }
    total++;
    checkTrace(t, file, i + 1, d.name);
  }
}

const benign = counts.allow + counts.narrow;
if (Math.abs(benign - counts.deny) > total * 0.05) problems.push(`unbalanced: ${benign} allow+narrow vs ${counts.deny} deny`);
if (counts.narrow < 20) problems.push(`only ${counts.narrow} narrow cases (want at least 20)`);

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write(`ok: ${total} traces, ${counts.allow} allow, ${counts.narrow} narrow, ${counts.deny} deny, ${seen.size} unique ids\n`);
