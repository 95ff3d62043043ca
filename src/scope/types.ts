/**
 * The grant algebra's vocabulary. A `Boundary` is the most a call may ever be
 * granted (set by policy); a `Grant` is what a call actually gets; a
 * `Narrowing` is what a judge proposes. Nothing here does I/O.
 */
export type Scalar = string | number | boolean | null;

/**
 * One constraint on one argument. Keys of `Boundary.args` are argument paths
 * (`path`, `options.limit`). For an array value, `maxLength` bounds the number of
 * items and every other constraint applies to each item.
 */
export type ArgConstraint =
  /** A filesystem-like path that must resolve inside one of `roots` (no `..` escape). */
  | { readonly kind: 'within'; readonly roots: readonly string[] }
  /** A string that must start with one of `prefixes`. */
  | { readonly kind: 'prefix'; readonly prefixes: readonly string[] }
  /** A value that must equal one of `values`. */
  | { readonly kind: 'oneOf'; readonly values: readonly Scalar[] }
  /** A string that must fully match `pattern` (RE2 syntax: linear time, no backreferences). */
  | { readonly kind: 'pattern'; readonly pattern: string }
  /** A number within [min, max]; a value above max is clamped down, one below min is refused. */
  | { readonly kind: 'range'; readonly min?: number; readonly max?: number }
  /** A string of at most `max` characters, or an array of at most `max` items. */
  | { readonly kind: 'maxLength'; readonly max: number }
  /** An e-mail address or URL whose domain is one of `domains` (or a subdomain of one). */
  | { readonly kind: 'domain'; readonly domains: readonly string[] }
  /** The value must appear in the trusted task text (provenance): the user must have named it. */
  | { readonly kind: 'fromTask' }
  /** The argument must not be given at all. */
  | { readonly kind: 'absent' };

export interface Boundary {
  /** Scopes this call may be granted; a grant's scopes are always a subset. */
  readonly scopes: readonly string[];
  /** Constraints per argument path; all constraints of a path must hold. */
  readonly args: Readonly<Record<string, readonly ArgConstraint[]>>;
}

/** What a call is finally granted: scopes for its credential and the arguments it runs with. */
export interface Grant {
  readonly scopes: readonly string[];
  readonly args: Readonly<Record<string, unknown>>;
}

/** A judge's proposed narrowing: fewer scopes and/or tighter argument values. */
export interface Narrowing {
  readonly scopes?: readonly string[] | undefined;
  readonly args?: Readonly<Record<string, unknown>> | undefined;
}

/** Why a value could not be brought inside the boundary (or a narrowing was refused). */
export interface Violation {
  readonly arg: string;
  readonly constraint: ArgConstraint['kind'] | 'narrowing' | 'scope';
  readonly message: string;
}

/** Facts the algebra needs from outside (kept as a pure function, no I/O). */
export interface ScopeContext {
  /** True when `value` appears in the trusted task text. */
  inTask(value: string): boolean;
}

export const EMPTY_BOUNDARY: Boundary = Object.freeze({ scopes: Object.freeze([]) as readonly string[], args: Object.freeze({}) });
