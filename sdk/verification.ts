import type { Attributes } from '@opentelemetry/api';
import { classifyFailureLines } from './failure/classify.js';
import { redactSecrets } from './failure/index.js';
import { scanLines } from './failure/scan.js';
import { failureSignatureOfLines } from './failure/signature.js';
import { feedbackSpecificityOfLines } from './failure/specificity.js';
import * as sc from './semconv.js';

/** The attributes and facts of one verification (CI) run of an attempt. */
export interface VerificationFacts {
  failed: boolean;
  signature: string | undefined;
  /** Whether the feedback names what was checked; undefined when unknown. */
  feedbackSpecific: boolean | undefined;
  attributes: Attributes;
}

export interface VerificationInputs {
  attempt: number;
  result: sc.CicdPipelineResult;
  failureClass?: sc.FailureClass;
  output?: string;
  signature?: string;
  feedbackSpecific?: boolean;
  pipelineName?: string;
}

/**
 * Derives the attributes of a verification run from its result and, when given,
 * the raw CI output. The output itself is never returned; only its signature,
 * class and specificity, and with `recordMessage` one redacted line of it.
 *
 * `previous` is the previous attempt's verification, when known: `repeated` is
 * true when both failed with the same signature.
 */
export function verificationFacts(
  input: VerificationInputs,
  previous: { failed: boolean; signature: string | undefined } | undefined,
  recordMessage: boolean,
): VerificationFacts {
  const failed = input.result !== 'success' && input.result !== 'skip';
  const output = input.output;
  const attributes: Attributes = {
    [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: input.attempt,
    [sc.ATTR_CICD_PIPELINE_RESULT]: input.result,
  };
  if (input.pipelineName !== undefined) attributes[sc.ATTR_CICD_PIPELINE_NAME] = input.pipelineName;

  let signature: string | undefined;
  let feedbackSpecific = input.feedbackSpecific;
  if (failed) {
    // Scanned once here, because the class, the signature and the specificity all read the same lines.
    const lines = output === undefined ? undefined : scanLines(output);
    // The classifier's class is only used when the harness gave none.
    const classFromOutput = lines === undefined || input.failureClass !== undefined ? undefined : classifyFailureLines(lines);
    attributes[sc.ATTR_FACTORY_FAILURE_CLASS] = input.failureClass ?? classFromOutput ?? 'other';
    if (input.failureClass !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE] = 'harness';
    else if (classFromOutput !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE] = 'classifier';

    signature = input.signature ?? (lines === undefined ? undefined : failureSignatureOfLines(lines).signature);
    if (signature !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_SIGNATURE] = signature;

    if (output !== undefined && lines !== undefined) {
      const specificity = feedbackSpecificityOfLines(lines);
      feedbackSpecific ??= specificity.specific;
      if (specificity.reasons.length > 0) attributes[sc.ATTR_FACTORY_FEEDBACK_REASONS] = specificity.reasons;
      if (recordMessage) {
        const message = failureMessageLine(output);
        // Redacting before cutting, so that the cut cannot hide part of a secret from the redactor.
        if (message !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_MESSAGE] = redactSecrets(message).text.slice(0, MESSAGE_MAX_CHARS);
      }
    }
    if (feedbackSpecific !== undefined) attributes[sc.ATTR_FACTORY_FEEDBACK_SPECIFIC] = feedbackSpecific;
  }

  if (input.attempt > 1 && previous !== undefined) {
    attributes[sc.ATTR_FACTORY_FAILURE_REPEATED] = failed && previous.failed && signature !== undefined && signature === previous.signature;
  }
  return { failed, signature, feedbackSpecific, attributes };
}

// The first line that reads like an error, cut to a length that stays readable.
const MESSAGE_MAX_CHARS = 256;
const ERROR_LINE = /error|fail|assert|expected|panic|exception/i;

function failureMessageLine(output: string): string | undefined {
  const lines = output.slice(-256 * 1024).split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines.find((candidate) => ERROR_LINE.test(candidate)) ?? lines[0];
}
