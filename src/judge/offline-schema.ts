/**
 * What a tool's input schema says about its arguments, for arguments whose
 * names say nothing (`target`, `borrower`, `exposure`, `networks`). The
 * schema's property descriptions and enums are read for the kind of value an
 * argument takes: an address or link where something goes, or a setting that
 * decides who may see or do what.
 *
 * The schema is untrusted text from the upstream server, so it is only ever
 * used to add caution: it can make an argument consequential, never make one
 * harmless. A server that lies here only makes its own calls more likely to
 * be asked about.
 */
import type { ToolSpec } from '../session/types.js';
import type { ArgCategory } from './offline-lexicon.js';

/** What the schema says about one top-level argument. */
export interface ArgHint {
  /** Where the value lands, when the description says so. */
  readonly category?: ArgCategory | undefined;
  /** True when the description or enum makes the argument an access setting (who can see, which networks may connect). */
  readonly setting: boolean;
  /** The allowed values, lower case, when the schema lists them (at most 32). */
  readonly options: readonly string[];
}

/** Descriptions are short; a hostile megabyte is read on its first part. */
const MAX_DESC = 400;
const MAX_PROPS = 64;

/** Description wording for where a value sends something: narrower than argument-name words ("number of results" is no phone number). */
const DESC_DESTINATION = /\b(?:url|uri|endpoint|webhook|callback|https?|link to|hostname|domain|server address|ftp)\b/;
const DESC_RECIPIENT = /\b(?:e-?mail(?: address)?|recipient|receiv\w+|addressee|deliver\w* to|send\w* to|phone number|mobile number|contact (?:e-?mail|address))\b/;
const DESC_ACCOUNT = /\b(?:iban|account number|wallet(?: address)?|beneficiary|payee|routing number|swift|bic)\b/;
/** Description wording for access settings. */
const DESC_SETTING = /\b(?:who (?:can|may)|visib\w*|visible to|access(?:ible)?|permission\w*|role|privilege\w*|audience|sharing|shared with|cidr|ip ranges?|networks? (?:allowed|that may)|allowed (?:networks?|ips?|hosts?|origins?)|expos\w*|public|private)\b/;
/** Enum values that mark an access setting: a choice between private and public. */
const ENUM_SETTING = /^(?:private|public|restricted|anyone\w*|everyone|organi[sz]ation|org|internal|external|viewer|editor|owner|admin|member|guest|read|write)$/i;

const cache = new WeakMap<ToolSpec, ReadonlyMap<string, ArgHint>>();

/** Hints per top-level argument name, computed once per spec object. */
export function schemaHints(spec: ToolSpec | undefined): ReadonlyMap<string, ArgHint> {
  if (spec === undefined) return EMPTY;
  const hit = cache.get(spec);
  if (hit !== undefined) return hit;
  const out = new Map<string, ArgHint>();
  const schema = spec.inputSchema;
  const props = schema !== null && typeof schema === 'object' ? (schema as { properties?: unknown }).properties : undefined;
  if (props !== null && typeof props === 'object' && !Array.isArray(props)) {
    for (const [name, p] of Object.entries(props as Record<string, unknown>).slice(0, MAX_PROPS)) {
      if (p === null || typeof p !== 'object') continue;
      const prop = p as { description?: unknown; enum?: unknown; items?: unknown };
      const items = prop.items !== null && typeof prop.items === 'object' ? (prop.items as { description?: unknown; enum?: unknown }) : undefined;
      const desc = [prop.description, items?.description]
        .filter((d): d is string => typeof d === 'string')
        .join(' ')
        .slice(0, MAX_DESC)
        .toLowerCase();
      const enums = [prop.enum, items?.enum].flatMap((e) => (Array.isArray(e) ? e.slice(0, 32) : [])).filter((v): v is string => typeof v === 'string');
      const category: ArgCategory | undefined = DESC_ACCOUNT.test(desc) ? 'account' : DESC_DESTINATION.test(desc) ? 'destination' : DESC_RECIPIENT.test(desc) ? 'recipient' : undefined;
      const setting = DESC_SETTING.test(desc) || enums.filter((v) => ENUM_SETTING.test(v)).length >= 2;
      if (category !== undefined || setting || enums.length > 1) out.set(name, { category, setting, options: enums.map((v) => v.toLowerCase()) });
    }
  }
  cache.set(spec, out);
  return out;
}

const EMPTY: ReadonlyMap<string, ArgHint> = new Map();

/** The hint for an argument path (`networks.0` → `networks`). */
export function hintFor(hints: ReadonlyMap<string, ArgHint>, path: string): ArgHint | undefined {
  if (hints.size === 0) return undefined;
  return hints.get(path.split('.', 1)[0] ?? path);
}
