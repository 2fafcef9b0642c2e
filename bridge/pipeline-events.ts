import { z } from 'zod';
import type { BridgeEvent } from './events.js';
import type { ParsedDelivery } from './github.js';

/**
 * The JSON events of `POST /events`, for CI systems and deploy pipelines that
 * are not GitHub. docs/bridge.md shows both forms with examples.
 */

const time = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with a time zone, such as 2026-12-01T09:00:00Z' });
const sha = z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a lowercase hex commit SHA');
const repository = z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name');

const ciEventSchema = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('ci'),
  repository,
  sha,
  /** The pipeline's name. */
  name: z.string().min(1).max(256),
  conclusion: z.enum(['success', 'failure', 'cancelled', 'skipped', 'timed_out', 'neutral']),
  startedAt: time.optional(),
  completedAt: time,
});

const deploymentEventSchema = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('deployment'),
  repository,
  sha,
  ref: z.string().min(1).max(256).optional(),
  environment: z.string().min(1).max(128),
  status: z.enum(['success', 'failure']),
  /** When the deployment started; default `deployedAt`. */
  startedAt: time.optional(),
  deployedAt: time,
  /** Commits the deployment contains besides `sha`, for example the range since the previous deployment. */
  commits: z.array(sha).max(10_000).optional(),
});

const pipelineEventSchema = z.discriminatedUnion('type', [ciEventSchema, deploymentEventSchema], {
  error: 'expected type "ci" or "deployment"',
});

/** Parses a `POST /events` body; returns the event and its id, which the bridge deduplicates on. */
export function parsePipelineEvent(payload: unknown): ParsedDelivery & { id?: string } {
  const parsed = pipelineEventSchema.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    return { kind: 'invalid', message: `invalid event: ${issues.join('; ')}` };
  }
  const value = parsed.data;
  let event: BridgeEvent;
  if (value.type === 'ci') {
    event = {
      type: 'check',
      repository: value.repository,
      sha: value.sha,
      name: value.name,
      conclusion: value.conclusion,
      startedAt: value.startedAt === undefined ? null : Date.parse(value.startedAt),
      completedAt: Date.parse(value.completedAt),
    };
  } else {
    const deployedAt = Date.parse(value.deployedAt);
    event = {
      type: 'deployment',
      repository: value.repository,
      sha: value.sha,
      ref: value.ref ?? null,
      environment: value.environment,
      succeeded: value.status === 'success',
      deployedAt,
      createdAt: value.startedAt === undefined ? deployedAt : Date.parse(value.startedAt),
      commits: value.commits ?? [],
    };
  }
  return { kind: 'event', event, id: value.id };
}
