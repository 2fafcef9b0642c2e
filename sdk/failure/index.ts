/**
 * Pure functions that turn raw CI output into facts that are safe to record: a
 * failure signature, a failure class and whether the feedback was specific. The
 * output itself is never returned. `redactSecrets` is for users who opt in to
 * recording a failure message.
 */
export { failureSignature } from './signature.js';
export type { FailureSignature, SignatureBasis } from './signature.js';
export { classifyFailure } from './classify.js';
export type { CiFailureClass } from './classify.js';
export { feedbackSpecificity, SPECIFICITY_REASONS } from './specificity.js';
export type { FeedbackSpecificity, SpecificityReason } from './specificity.js';
export { redactSecrets } from './redact.js';
export type { RedactionKind, RedactionResult } from './redact.js';
export { MAX_LINE_CHARS, MAX_SCAN_CHARS } from './scan.js';
