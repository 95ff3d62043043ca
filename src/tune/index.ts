/** Tuning: flagged decisions in, reviewed labels and proposed policy changes out. */
export { runTune } from './tune.js';
export type { TuneConfig } from './tune.js';
export { readTraffic, callRan, TRAFFIC_LIMITS } from './traffic.js';
export { propose, groupDecisions, evidenceOf, niceCeiling, DEFAULT_PROPOSE_OPTIONS } from './propose.js';
export type { ProposeOptions, Group } from './propose.js';
export { replayTraffic, compareReplays, fidelity } from './replay.js';
export type { ReplayOptions, ReplayRun } from './replay.js';
export { evalPipeline, evalEffect, gateFailures, gateMetrics } from './gate.js';
export { composeRules, copyNames, inlineTests, renderTuneText, rulesOnlyText, tunedPolicyText, writePolicyDir, TUNED_FILE } from './render.js';
export { appendLabels, describeDecision, exportTraces, flaggedDecisions, parseLabelFlag, reviewInteractive, safeText, writeExport } from './review.js';
export type { ExportedTrace, LabelInput, LabelMeta } from './review.js';
export { classify, classLabel, shapeOf, shapeKey, shapeCondition, shapeBoundary } from './shape.js';
export type { ValueClass, Shape } from './shape.js';
export type {
  EvalEffect,
  GateMetrics,
  HumanDecision,
  HumanLabel,
  LoggedDecision,
  LoggedJudge,
  Proposal,
  ProposalEvidence,
  ProposalKind,
  ProposalStatus,
  ProposalTarget,
  ReplayEffect,
  Traffic,
  TuneReport,
} from './types.js';
