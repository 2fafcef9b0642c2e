import type { Attributes } from '@opentelemetry/api';
import { classifyFailureLines } from './failure/classify.js';
import { redactSecrets } from './failure/index.js';
import { scanLines } from './failure/scan.js';
import { failureSignatureOfLines } from './failure/signature.js';
import { feedbackSpecificityOfLines } from './failure/specificity.js';
import { wordsOf } from './failure/words.js';
import * as sc from './semconv.js';

/** The attributes and facts of one verification (CI) run of an attempt. */
export interface VerificationFacts {
  failed: boolean;
  signature: string | undefined;
  failureClass: string | undefined;
  /** Whether the feedback names what was checked; undefined when unknown. */
  feedbackSpecific: boolean | undefined;
  attributes: Attributes;
}

export interface VerificationInputs {
  result: sc.CicdPipelineResult;
  failureClass?: sc.FailureClass;
  output?: string;
  signature?: string;
  feedbackSpecific?: boolean;
  pipelineName?: string;
}

/**
 * Derives the attributes of a verification run of attempt number `attempt` from
 * its result and, when given, the raw CI output. The output itself is never
 * returned; only its signature, class and specificity, and with `recordMessage`
 * one redacted line of it.
 *
 * `previous` is the previous attempt's verification, when known: `repeated` is
 * true when both failed with the same class and signature. It is left out when
 * either failure was infrastructure or a timeout, because the agent did not
 * cause those and a retry cannot learn from them.
 */
export function verificationFacts(
  input: VerificationInputs,
  attempt: number,
  previous: { failed: boolean; signature: string | undefined; failureClass?: string | undefined } | undefined,
  recordMessage: boolean,
): VerificationFacts {
  const failed = input.result !== 'success' && input.result !== 'skip';
  const output = input.output;
  const attributes: Attributes = {
    [sc.ATTR_FACTORY_ATTEMPT_NUMBER]: attempt,
    [sc.ATTR_CICD_PIPELINE_RESULT]: input.result,
  };
  if (input.pipelineName !== undefined) attributes[sc.ATTR_CICD_PIPELINE_NAME] = input.pipelineName;

  let signature: string | undefined;
  let failureClass: string | undefined;
  let feedbackSpecific = input.feedbackSpecific;
  if (failed) {
    // Scanned once here, because the class, the signature and the specificity all read the same lines.
    const lines = output === undefined ? undefined : scanLines(output);
    // The class and the specificity both skip the patterns whose words the output lacks.
    const words = lines === undefined ? undefined : wordsOf(lines);
    // The classifier's class is only used when the harness gave none.
    const classFromOutput = lines === undefined || input.failureClass !== undefined ? undefined : classifyFailureLines(lines, words);
    failureClass = input.failureClass ?? classFromOutput ?? 'other';
    attributes[sc.ATTR_FACTORY_FAILURE_CLASS] = failureClass;
    if (input.failureClass !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE] = 'harness';
    else if (classFromOutput !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_CLASS_SOURCE] = 'classifier';

    signature = input.signature ?? (lines === undefined ? undefined : failureSignatureOfLines(lines).signature);
    if (signature !== undefined) attributes[sc.ATTR_FACTORY_FAILURE_SIGNATURE] = signature;

    if (output !== undefined && lines !== undefined) {
      const specificity = feedbackSpecificityOfLines(lines, words);
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

  const notTheAgents = (cls: string | undefined) => cls === 'infrastructure' || cls === 'timeout';
  if (attempt > 1 && previous !== undefined && !notTheAgents(failureClass) && !notTheAgents(previous.failureClass)) {
    const sameClass = previous.failureClass === undefined || previous.failureClass === failureClass;
    attributes[sc.ATTR_FACTORY_FAILURE_REPEATED] =
      failed && previous.failed && sameClass && signature !== undefined && signature.toLowerCase() === previous.signature?.toLowerCase();
  }
  return { failed, signature, failureClass, feedbackSpecific, attributes };
}

// The first line that reads like an error, cut to a length that stays readable.
const MESSAGE_MAX_CHARS = 256;
const ERROR_LINE = /error|fail|assert|expected|panic|exception/i;

// ANSI colour codes would split a secret from the key that names it.
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -\/]*[@-~]/g;
// A long line of base64 alone is likely the body of a key or certificate.
const BASE64_BODY = /^[A-Za-z0-9+/=]{40,}$/;

function failureMessageLine(output: string): string | undefined {
  const tail = output.length > 256 * 1024 ? output.slice(-256 * 1024) : output;
  const lines = tail.replace(ANSI_ESCAPE, '').split('\n');
  // A cut tail starts in the middle of a line, which could be the middle of a secret.
  if (tail.length < output.length) lines.shift();
  const candidates = lines.map((line) => line.trim()).filter((line) => line !== '' && !BASE64_BODY.test(line));
  return candidates.find((candidate) => ERROR_LINE.test(candidate)) ?? candidates[0];
}
