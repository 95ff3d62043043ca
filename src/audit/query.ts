import { IntentguardError } from '../errors.js';
import { readLines } from './lines.js';
import { assertAuditFile } from './verify.js';
import type { AuditRecord } from './types.js';

/** Record filters; all given filters must hold. Time bounds compare `ts`: `since` inclusive, `until` exclusive. */
export interface AuditFilters {
  /** `call.tool` of decision records. */
  readonly tool?: string | undefined;
  /** `call.server` of decision records. */
  readonly server?: string | undefined;
  readonly decision?: string | undefined;
  /** One of the record's `flags`. */
  readonly flag?: string | undefined;
  readonly type?: string | undefined;
  readonly txn?: string | undefined;
  readonly since?: Date | string | undefined;
  readonly until?: Date | string | undefined;
  /** Stop after this many matches. */
  readonly limit?: number | undefined;
}

export interface QueryOptions {
  /** Called for each line that is not a JSON object (query does not verify; `verifyAuditFile` does). */
  readonly onSkip?: ((line: number, reason: string) => void) | undefined;
}

function toTime(value: Date | string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(t)) throw new IntentguardError('IG_INPUT_INVALID', `${name} is not a valid date: ${JSON.stringify(String(value))}`);
  return t;
}

function member(record: Record<string, unknown>, key: string, sub: string): unknown {
  const v = record[key];
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[sub] : undefined;
}

/**
 * Compiles filters into a predicate.
 * @throws IntentguardError IG_INPUT_INVALID for an unparsable `since`/`until` or a bad `limit`.
 */
export function recordFilter(filters: AuditFilters): (record: AuditRecord) => boolean {
  const since = toTime(filters.since, 'since');
  const until = toTime(filters.until, 'until');
  if (filters.limit !== undefined && !(Number.isSafeInteger(filters.limit) && filters.limit > 0)) {
    throw new IntentguardError('IG_INPUT_INVALID', `limit must be a positive integer, not ${String(filters.limit)}`);
  }
  return (record) => {
    const r = record as unknown as Record<string, unknown>;
    if (filters.type !== undefined && r['type'] !== filters.type) return false;
    if (filters.txn !== undefined && r['txn'] !== filters.txn) return false;
    if (filters.decision !== undefined && r['decision'] !== filters.decision) return false;
    if (filters.tool !== undefined && member(r, 'call', 'tool') !== filters.tool) return false;
    if (filters.server !== undefined && member(r, 'call', 'server') !== filters.server) return false;
    if (filters.flag !== undefined && !(Array.isArray(r['flags']) && r['flags'].includes(filters.flag))) return false;
    if (since !== undefined || until !== undefined) {
      const t = typeof r['ts'] === 'string' ? Date.parse(r['ts']) : Number.NaN;
      if (Number.isNaN(t)) return false;
      if (since !== undefined && t < since) return false;
      if (until !== undefined && t >= until) return false;
    }
    return true;
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Streams the records of an audit log that match `filters`, in log order.
 * @throws IntentguardError IG_INPUT_INVALID when the file cannot be read or a filter is malformed.
 */
export async function* queryAudit(file: string, filters: AuditFilters = {}, options: QueryOptions = {}): AsyncGenerator<AuditRecord> {
  const keep = recordFilter(filters);
  await assertAuditFile(file);
  let matched = 0;
  for await (const raw of readLines(file)) {
    let parsed: unknown;
    try {
      parsed = raw.tooLong ? undefined : JSON.parse(utf8.decode(raw.bytes));
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      options.onSkip?.(raw.number, raw.terminated ? 'not a JSON object' : 'torn last line');
      continue;
    }
    const record = parsed as AuditRecord;
    if (!keep(record)) continue;
    yield record;
    if (filters.limit !== undefined && ++matched >= filters.limit) return;
  }
}

/** `queryAudit`, collected into an array. */
export async function queryAuditAll(file: string, filters: AuditFilters = {}, options: QueryOptions = {}): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of queryAudit(file, filters, options)) out.push(r);
  return out;
}
