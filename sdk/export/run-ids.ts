import type { ReadableSpan } from '@opentelemetry/sdk-trace';

import { ATTR_FACTORY_RUN_ID } from '../semconv.js';

/** Number of run ids that a loss report lists by name before "and N more runs". */
const LISTED_RUN_IDS = 10;
/**
 * Maximum number of distinct run ids kept per RunIdSet, which bounds its memory at
 * roughly 100 KB for UUIDs. Beyond it, a report reads "and at least N more runs".
 */
const MAX_TRACKED_RUN_IDS = 1_000;

/**
 * Distinct `factory.run.id` values of a group of spans, in first-seen order, and the
 * number of spans without one. Loss reports use it to name the affected runs.
 */
export class RunIdSet {
  private readonly runIds = new Set<string>();
  /** Whether a run id was not stored because MAX_TRACKED_RUN_IDS were stored. */
  private truncated = false;
  private spansWithoutRunId = 0;

  /** Returns the run ids of `spans`. */
  static of(spans: readonly ReadableSpan[]): RunIdSet {
    const set = new RunIdSet();
    for (const span of spans) {
      set.addSpan(span);
    }
    return set;
  }

  /** Adds the run id of `span`, or counts the span as one without a run id. */
  addSpan(span: ReadableSpan): void {
    const runId = span.attributes[ATTR_FACTORY_RUN_ID];
    if (typeof runId === 'string' && runId !== '') {
      this.addRunId(runId);
    } else {
      this.spansWithoutRunId += 1;
    }
  }

  /** Adds every run id and span count of `other`. */
  addAll(other: RunIdSet): void {
    for (const runId of other.runIds) {
      this.addRunId(runId);
    }
    this.truncated ||= other.truncated;
    this.spansWithoutRunId += other.spansWithoutRunId;
  }

  /**
   * Returns a sentence that names the runs, such as "Affected runs (factory.run.id):
   * r-1, r-2 and 3 more runs." with `lead` as its start, followed by "2 spans have no
   * factory.run.id." when some spans have none. Returns '' for an empty set.
   */
  describe(lead = 'Affected runs'): string {
    const sentences: string[] = [];
    if (this.runIds.size > 0) {
      const listed = [...this.runIds].slice(0, LISTED_RUN_IDS);
      const unlisted = this.runIds.size - listed.length;
      let names = listed.join(', ');
      if (this.truncated) {
        names += ` and at least ${unlisted} more runs`;
      } else if (unlisted > 0) {
        names += ` and ${unlisted} more ${unlisted === 1 ? 'run' : 'runs'}`;
      }
      sentences.push(`${lead} (factory.run.id): ${names}.`);
    }
    if (this.spansWithoutRunId > 0) {
      sentences.push(
        this.spansWithoutRunId === 1
          ? '1 span has no factory.run.id.'
          : `${this.spansWithoutRunId} spans have no factory.run.id.`,
      );
    }
    return sentences.join(' ');
  }

  private addRunId(runId: string): void {
    if (this.runIds.has(runId)) {
      return;
    }
    if (this.runIds.size >= MAX_TRACKED_RUN_IDS) {
      this.truncated = true;
      return;
    }
    this.runIds.add(runId);
  }
}
