/** The audit log: append-only, hash-chained JSONL with redaction, verification and queries. */
export { canonicalHash, canonicalJson, sha256Hex } from '../canonical.js';
export { DiscardAudit } from './discard.js';
export { AuditLog, MAX_RECORD_BYTES } from './log.js';
export type { AuditLogOptions, Durability } from './log.js';
export { queryAudit, queryAuditAll, recordFilter } from './query.js';
export type { AuditFilters, QueryOptions } from './query.js';
export { GENESIS, checkLine, hashRecord } from './record.js';
export { REDACTED, redact } from './redact.js';
export { verifyAuditFile } from './verify.js';
export type { BadRecord, VerifyResult } from './verify.js';
export type { AuditEntry, AuditRecord, AuditRecordType, AuditSink, Flag } from './types.js';
