import { canonicalJson } from '../canonical.js';
import { queryAudit } from '../audit/query.js';
import type { AuditFilters } from '../audit/query.js';
import type { AuditRecord } from '../audit/types.js';
import { verifyAuditFile } from '../audit/verify.js';
import type { VerifyResult } from '../audit/verify.js';
import { IntentguardError } from '../errors.js';
import { parseFlags } from './verb.js';
import type { Verb } from './verb.js';

const HELP = `usage: intentguard audit verify FILE [--format text|json]
       intentguard audit query FILE [filters] [--format jsonl|table]

verify  Checks the hash chain of an audit log: every line a canonical record
        whose hash recomputes, seq rising by one, each prev the hash before it,
        no torn last line. Prints the record count, or the first bad record as
        "line N (seq M): reason".

query   Prints the records that match every given filter, in log order.
  --tool T         call.tool of decision records
  --server S       call.server of decision records
  --decision D     allow | deny | narrow
  --flag F         one of the record's flags (judge-denied, judge-narrowed, ...)
  --type T         decision | outcome | label | approval | tool-change | escalation | admin
  --txn ID         the transaction id
  --since ISO      records at or after this time
  --until ISO      records before this time
  --limit N        at most N records
  --format F       jsonl (default: one record per line) or table

options:
  -h, --help       show this help

exit codes: 0 ok, 1 the chain does not verify, 2 bad usage or a missing/unreadable file.`;

/** Writes to stdout, waiting when the pipe is full (a query can print a whole log). */
async function out(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}

function onlyFile(positionals: readonly string[], sub: string): string {
  if (positionals.length === 0) throw new IntentguardError('IG_USAGE', `audit ${sub} needs a FILE`);
  if (positionals.length > 1) throw new IntentguardError('IG_USAGE', `audit ${sub} takes one FILE, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0] as string;
}

function describeBad(file: string, r: VerifyResult): string {
  const bad = r.firstBad;
  if (!bad) return `${file}: chain broken`;
  const seq = bad.seq !== undefined ? `seq ${bad.seq}` : `expected seq ${r.lastSeq + 1}`;
  return `${file}: chain broken at line ${bad.line} (${seq}): ${bad.reason}; ${r.records} record${r.records === 1 ? '' : 's'} verified before it`;
}

async function verify(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string', default: 'text' } }, true);
  if (values.format !== 'text' && values.format !== 'json') throw new IntentguardError('IG_USAGE', `--format must be text or json, not ${values.format}`);
  const file = onlyFile(positionals, 'verify');
  const r = await verifyAuditFile(file);
  if (values.format === 'json') await out(`${JSON.stringify({ file, ...r })}\n`);
  else if (r.ok) await out(`${file}: ok, ${r.records} record${r.records === 1 ? '' : 's'} (last hash ${r.lastHash})\n`);
  else await out(`${describeBad(file, r)}\n`);
  return r.ok ? 0 : 1;
}

function isoOption(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (Number.isNaN(Date.parse(value))) throw new IntentguardError('IG_USAGE', `--${name} must be an ISO date or time, not ${JSON.stringify(value)}`);
  return value;
}

function cell(value: unknown, width: number): string {
  const s = value === undefined || value === null ? '-' : String(value);
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

function tableRow(r: AuditRecord): string {
  const call = r['call'] !== null && typeof r['call'] === 'object' ? (r['call'] as { server?: unknown; tool?: unknown }) : undefined;
  const target = call ? `${String(call.server ?? '?')}/${String(call.tool ?? '?')}` : undefined;
  const flags = Array.isArray(r.flags) && r.flags.length > 0 ? r.flags.join(',') : undefined;
  return [cell(r.seq, 7), cell(r.ts, 24), cell(r.type, 11), cell(r['decision'], 8), cell(target, 34), cell(flags, 28), String(r.txn ?? '-')].join(' ').trimEnd();
}

const TABLE_HEADER = [cell('seq', 7), cell('ts', 24), cell('type', 11), cell('decision', 8), cell('server/tool', 34), cell('flags', 28), 'txn'].join(' ');

async function query(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      tool: { type: 'string' },
      server: { type: 'string' },
      decision: { type: 'string' },
      flag: { type: 'string' },
      type: { type: 'string' },
      txn: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
    },
    true,
  );
  const file = onlyFile(positionals, 'query');
  if (values.format !== 'jsonl' && values.format !== 'table') throw new IntentguardError('IG_USAGE', `--format must be jsonl or table, not ${values.format}`);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = /^[0-9]+$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new IntentguardError('IG_USAGE', `--limit must be a positive integer, not ${JSON.stringify(values.limit)}`);
  }
  const filters: AuditFilters = {
    tool: values.tool,
    server: values.server,
    decision: values.decision,
    flag: values.flag,
    type: values.type,
    txn: values.txn,
    since: isoOption(values.since, 'since'),
    until: isoOption(values.until, 'until'),
    limit,
  };
  let skipped = 0;
  if (values.format === 'table') await out(`${TABLE_HEADER}\n`);
  for await (const r of queryAudit(file, filters, { onSkip: () => skipped++ })) {
    await out(`${values.format === 'table' ? tableRow(r) : canonicalJson(r)}\n`);
  }
  if (skipped > 0) process.stderr.write(`intentguard audit: skipped ${skipped} line${skipped === 1 ? '' : 's'} that are not records (run \`intentguard audit verify ${file}\`)\n`);
  return 0;
}

export const audit: Verb = {
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest);
    if (sub === 'query') return query(rest);
    throw new IntentguardError('IG_USAGE', sub === undefined ? 'audit needs a subcommand: verify or query' : `unknown audit subcommand '${sub}' (verify or query)`);
  },
};

export default audit;
