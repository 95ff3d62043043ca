/** The grant algebra: pure functions over boundaries, grants and narrowings (no I/O). */
export { applyNarrowedArgs, clampArgs, clampNarrowing, intersectBoundaries, isNarrowing, narrowingFailure, violations } from './algebra.js';
export { compilePattern, hostInDomain, hostOf, normaliseDomain, MAX_PATTERN_LENGTH } from './constraints.js';
export { isPathLike, isPathWithin, usesWindowsRules } from './path.js';
export type { PathCheck } from './path.js';
export { deepEqual, MAX_DEPTH, MAX_PATH_SEGMENTS } from './values.js';
export { EMPTY_BOUNDARY } from './types.js';
export type { ArgConstraint, Boundary, Grant, Narrowing, Scalar, ScopeContext, Violation } from './types.js';
