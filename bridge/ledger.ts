import type Database from 'better-sqlite3';
import { parsePullRequestMarker } from '../sdk/index.js';
import type { BridgeEvent, PullRequestFacts } from './events.js';
import type { Recording } from './recording.js';
import { resolvePullRequest, matchesDeployment, type ResolutionPolicy } from './resolution.js';
import { evictTombstone, pruneState } from './retention.js';
import type { DeploymentRow, OutboxRow, PullRequestRow } from './store.js';

/** Limits and timings of the ledger; `BridgeOptions` documents each with its default. */
export interface LedgerOptions extends ResolutionPolicy {
  settleMillis: number;
  idleMillis: number;
  deployWaitMillis: number;
  deliveryRetentionMillis: number;
  maxDeliveries: number;
  maxPullRequests: number;
  maxOutbox: number;
  now: () => number;
}

/** The effect of applying one delivery. */
export type ApplyResult =
  | { status: 'recorded'; detail: string }
  | { status: 'duplicate'; detail: string }
  | { status: 'late'; detail: string }
  | { status: 'full'; detail: string };

/** Counts of what one sweep resolved and pruned. */
export interface SweepResult {
  resolved: number;
  abandoned: number;
  deliveriesPruned: number;
  pullRequestsPruned: number;
  /** Whether more pull requests were due than one sweep resolves. */
  more: boolean;
}

/**
 * Applies deliveries to the state store. Each delivery is one transaction (a
 * savepoint when several are committed together): its id is marked seen, the
 * state changes, and the SDK calls it makes due go into the outbox, so a delivery
 * is applied completely or not at all.
 *
 * A pull request's run is recorded when it resolves, `settleMillis` after its last
 * event once closed, or `idleMillis` after its last event while open (abandoned).
 * Until then its events only change state, which makes the order they arrive in
 * irrelevant.
 */
export class Ledger {
  private readonly db: Database.Database;
  private readonly options: LedgerOptions;
  private outboxSize: number;
  private pullRequestCount: number;
  private readonly statements;

  constructor(db: Database.Database, options: LedgerOptions) {
    this.db = db;
    this.options = options;
    this.outboxSize = db.prepare('SELECT count(*) FROM outbox').pluck().get() as number;
    this.pullRequestCount = db.prepare('SELECT count(*) FROM pull_requests').pluck().get() as number;
    this.statements = {
      markDelivery: db.prepare('INSERT OR IGNORE INTO deliveries (id, received_at) VALUES (?, ?)'),
      getPullRequest: db.prepare('SELECT * FROM pull_requests WHERE repository = ? AND number = ?'),
      insertPullRequest: db.prepare(`INSERT INTO pull_requests
        (repository, number, author, head_ref, base_ref, body_link, labels, lines_changed, opened_at, updated_at, closed_at, merged_at, merge_sha, last_event_at)
        VALUES (@repository, @number, @author, @headRef, @baseRef, @bodyLink, @labels, @linesChanged, @createdAt, @updatedAt, @closedAt, @mergedAt, @mergeSha, @now)`),
      updateSnapshot: db.prepare(`UPDATE pull_requests SET author = @author, head_ref = @headRef, base_ref = @baseRef, body_link = @bodyLink,
        labels = @labels, lines_changed = COALESCE(@linesChanged, lines_changed), updated_at = @updatedAt, closed_at = @closedAt, merged_at = @mergedAt, merge_sha = @mergeSha
        WHERE repository = @repository AND number = @number`),
      touch: db.prepare('UPDATE pull_requests SET last_event_at = ? WHERE repository = ? AND number = ?'),
      insertHead: db.prepare('INSERT OR IGNORE INTO heads (repository, number, sha, pusher, pushed_at) VALUES (?, ?, ?, ?, ?)'),
      upsertReview: db.prepare(`INSERT INTO reviews (repository, number, review_id, state) VALUES (?, ?, ?, ?)
        ON CONFLICT (repository, number, review_id) DO UPDATE SET state = excluded.state`),
      // A re-run of a pipeline replaces its earlier result.
      upsertCheck: db.prepare(`INSERT INTO checks (repository, sha, name, conclusion, started_at, completed_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (repository, sha, name) DO UPDATE SET conclusion = excluded.conclusion, started_at = excluded.started_at,
        completed_at = excluded.completed_at, received_at = excluded.received_at
        WHERE excluded.completed_at >= checks.completed_at`),
      insertDeployment: db.prepare(`INSERT OR IGNORE INTO deployments (repository, sha, environment, ref, created_at, deployed_at, commits, received_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      upsertBranchLink: db.prepare(`INSERT INTO branch_links (repository, branch, run_id, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (repository, branch) DO UPDATE SET run_id = excluded.run_id, updated_at = excluded.updated_at`),
      insertOutbox: db.prepare('INSERT INTO outbox (recording, created_at) VALUES (?, ?)'),
      undeployed: db.prepare(`SELECT * FROM pull_requests WHERE repository = ? AND resolution = 'merged' AND deployed = 0 AND merged_at <= ?`),
      markDeployed: db.prepare('UPDATE pull_requests SET deployed = 1 WHERE repository = ? AND number = ?'),
      dueClosed: db.prepare(`SELECT * FROM pull_requests WHERE resolution IS NULL AND closed_at IS NOT NULL AND last_event_at <= ? LIMIT ${RESOLVE_PER_SWEEP}`),
      dueIdle: db.prepare(`SELECT * FROM pull_requests WHERE resolution IS NULL AND closed_at IS NULL AND last_event_at <= ? LIMIT ${RESOLVE_PER_SWEEP}`),
      outbox: db.prepare('SELECT seq, recording FROM outbox ORDER BY seq LIMIT ?'),
      deleteOutbox: db.prepare('DELETE FROM outbox WHERE seq = ?'),
    };
  }

  /**
   * Applies the delivery `deliveryId`. A delivery id seen before changes nothing.
   * Returns 'full' without marking the delivery seen when a state limit is reached,
   * so that a later redelivery is applied.
   */
  apply(deliveryId: string, event: BridgeEvent): ApplyResult {
    const [result] = this.applyBatch([{ deliveryId, event }]);
    if (result instanceof Error) throw result;
    return result!;
  }

  /**
   * Applies several deliveries in one transaction, so that one disk sync commits
   * all of them; each delivery is still applied completely or not at all. Returns
   * one result per delivery, or the error that stopped it.
   */
  applyBatch(deliveries: readonly { deliveryId: string; event: BridgeEvent }[]): (ApplyResult | Error)[] {
    const results: (ApplyResult | Error)[] = [];
    try {
      this.db
        .transaction(() => {
          for (const { deliveryId, event } of deliveries) results.push(this.applyOne(deliveryId, event));
        })
        .immediate();
    } catch (error) {
      // The commit failed, so none of the deliveries is applied.
      this.countRows();
      return deliveries.map(() => (error instanceof Error ? error : new Error(String(error))));
    }
    return results;
  }

  // Runs inside applyBatch's transaction; its own nested transaction is a savepoint.
  private applyOne(deliveryId: string, event: BridgeEvent): ApplyResult | Error {
    try {
      return this.db.transaction((): ApplyResult => {
        if (this.outboxSize >= this.options.maxOutbox) {
          return { status: 'full', detail: `the outbox holds ${this.outboxSize} recordings not yet delivered (maxOutbox ${this.options.maxOutbox}); is the collector reachable?` };
        }
        if (this.statements.markDelivery.run(deliveryId, this.options.now()).changes === 0) {
          return { status: 'duplicate', detail: `delivery ${deliveryId} was applied before` };
        }
        const result = this.applyEvent(event);
        // A rejected event must stay unseen, so its savepoint rolls back.
        if (result.status === 'full') throw new FullStore(result.detail);
        return result;
      })();
    } catch (error) {
      if (error instanceof FullStore) return { status: 'full', detail: error.message };
      this.countRows();
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private countRows(): void {
    this.outboxSize = this.db.prepare('SELECT count(*) FROM outbox').pluck().get() as number;
    this.pullRequestCount = this.db.prepare('SELECT count(*) FROM pull_requests').pluck().get() as number;
  }

  /** Resolves due pull requests and prunes old state; returns what it did. */
  sweep(): SweepResult {
    const now = this.options.now();
    const result: SweepResult = { resolved: 0, abandoned: 0, deliveriesPruned: 0, pullRequestsPruned: 0, more: false };
    this.db.transaction(() => {
      for (const row of this.statements.dueClosed.all(now - this.options.settleMillis) as PullRequestRow[]) {
        this.resolve(row, row.merged_at !== null ? 'merged' : 'closed', now);
        result.resolved += 1;
      }
      for (const row of this.statements.dueIdle.all(now - this.options.idleMillis) as PullRequestRow[]) {
        this.resolve(row, 'abandoned', now);
        result.abandoned += 1;
      }
    }).immediate();
    this.db.transaction(() => Object.assign(result, pruneState(this.db, this.options, now))).immediate();
    this.pullRequestCount -= result.pullRequestsPruned;
    result.more = result.resolved === RESOLVE_PER_SWEEP || result.abandoned === RESOLVE_PER_SWEEP;
    return result;
  }

  /** Returns the oldest `limit` recordings not yet confirmed delivered. */
  pendingRecordings(limit: number): OutboxRow[] {
    return (this.statements.outbox.all(limit) as { seq: number; recording: string }[]).map((row) => ({
      seq: row.seq,
      recording: JSON.parse(row.recording) as Recording,
    }));
  }

  /** Removes delivered recordings from the outbox. */
  confirmDelivered(seqs: readonly number[]): void {
    this.db.transaction(() => {
      for (const seq of seqs) this.outboxSize -= this.statements.deleteOutbox.run(seq).changes;
    }).immediate();
  }

  /** Recordings waiting in the outbox. */
  get pendingCount(): number {
    return this.outboxSize;
  }

  private applyEvent(event: BridgeEvent): ApplyResult {
    const now = this.options.now();
    switch (event.type) {
      case 'pull_request':
      case 'review': {
        const row = this.upsertPullRequest(event.pullRequest, now);
        if (row === 'full') return { status: 'full', detail: `the state store tracks ${this.pullRequestCount} pull requests (maxPullRequests ${this.options.maxPullRequests})` };
        const where = `${event.pullRequest.repository}#${event.pullRequest.number}`;
        if (row.resolution !== null) return { status: 'late', detail: `${where} was already recorded as ${row.resolution}; the ${event.type} event changes nothing` };

        const { repository, number } = event.pullRequest;
        if (event.type === 'review') {
          this.statements.upsertReview.run(repository, number, event.reviewId, event.state);
          return { status: 'recorded', detail: `review ${event.reviewId} of ${where} is ${event.state}` };
        }
        if (event.action === 'opened' || event.action === 'reopened' || event.action === 'ready_for_review') {
          this.statements.insertHead.run(repository, number, event.pullRequest.headSha, event.pullRequest.author, event.pullRequest.createdAt);
        }
        if (event.action === 'synchronize' && event.afterSha !== null) {
          this.statements.insertHead.run(repository, number, event.afterSha, event.sender, event.pullRequest.updatedAt);
        }
        return { status: 'recorded', detail: `${where} ${event.action}` };
      }
      case 'check':
        this.statements.upsertCheck.run(event.repository, event.sha, event.name, event.conclusion, event.startedAt, event.completedAt, now);
        return { status: 'recorded', detail: `${event.name} ${event.conclusion} on ${event.repository}@${event.sha.slice(0, 12)}` };
      case 'deployment':
        return this.applyDeployment(event, now);
      case 'push':
        this.statements.upsertBranchLink.run(event.repository, event.branch, event.runId, now);
        return { status: 'recorded', detail: `branch ${event.branch} of ${event.repository} belongs to run ${event.runId}` };
    }
  }

  // Inserts the pull request or applies a newer snapshot of it; returns its row.
  private upsertPullRequest(facts: PullRequestFacts, now: number): PullRequestRow | 'full' {
    const existing = this.statements.getPullRequest.get(facts.repository, facts.number) as PullRequestRow | undefined;
    const values = {
      ...facts,
      bodyLink: linkFromBody(facts.body),
      labels: JSON.stringify(facts.labels),
      now,
    };
    if (existing === undefined) {
      if (this.pullRequestCount >= this.options.maxPullRequests) {
        const evicted = evictTombstone(this.db);
        this.pullRequestCount -= evicted;
        if (evicted === 0) return 'full';
      }
      this.statements.insertPullRequest.run(values);
      this.pullRequestCount += 1;
    } else {
      if (existing.resolution !== null) return existing;
      // Snapshots can arrive out of order; the newest one describes the pull request.
      if (facts.updatedAt >= existing.updated_at) this.statements.updateSnapshot.run(values);
      this.statements.touch.run(now, facts.repository, facts.number);
    }
    return this.statements.getPullRequest.get(facts.repository, facts.number) as PullRequestRow;
  }

  private applyDeployment(event: Extract<BridgeEvent, { type: 'deployment' }>, now: number): ApplyResult {
    const target = `${event.repository}@${event.sha.slice(0, 12)} to ${event.environment}`;
    if (!event.succeeded) return { status: 'recorded', detail: `failed deployment of ${target} ignored: only successful deployments end stage F` };
    // GitHub shows environment names as typed, so `Production` and `production` are the same environment here.
    const environment = event.environment.toLowerCase();
    if (!this.options.productionEnvironments.some((name) => name.toLowerCase() === environment)) {
      return { status: 'recorded', detail: `deployment of ${target} ignored: not a production environment (${this.options.productionEnvironments.join(', ')})` };
    }

    // Kept for pull requests whose merge is recorded later (events out of order).
    this.statements.insertDeployment.run(event.repository, event.sha, event.environment, event.ref, event.createdAt, event.deployedAt, JSON.stringify(event.commits), now);
    const deployment: DeploymentRow = {
      repository: event.repository,
      sha: event.sha,
      environment: event.environment,
      ref: event.ref,
      created_at: event.createdAt,
      deployed_at: event.deployedAt,
      commits: JSON.stringify(event.commits),
      received_at: now,
    };
    let matched = 0;
    for (const row of this.statements.undeployed.all(event.repository, event.deployedAt) as PullRequestRow[]) {
      if (!matchesDeployment(row, deployment)) continue;
      this.recordDeployment(row, deployment, now);
      matched += 1;
    }
    return { status: 'recorded', detail: `deployment of ${target} completes stage F of ${matched} runs` };
  }

  private resolve(row: PullRequestRow, status: 'merged' | 'closed' | 'abandoned', now: number): void {
    const links = this.db.prepare('SELECT run_id FROM branch_links WHERE repository = ? AND branch = ?').pluck().get(row.repository, row.head_ref) as string | undefined;
    const heads = this.db.prepare('SELECT sha, pusher, pushed_at FROM heads WHERE repository = ? AND number = ? ORDER BY pushed_at, sha').all(row.repository, row.number) as {
      sha: string;
      pusher: string;
      pushed_at: number;
    }[];
    const reviews = this.db.prepare('SELECT state FROM reviews WHERE repository = ? AND number = ?').pluck().all(row.repository, row.number) as string[];
    const checks = this.db
      .prepare(`SELECT sha, name, conclusion, started_at, completed_at FROM checks WHERE repository = ? AND sha IN (SELECT sha FROM heads WHERE repository = ? AND number = ?)`)
      .all(row.repository, row.repository, row.number) as { sha: string; name: string; conclusion: string; started_at: number | null; completed_at: number }[];

    const resolution = resolvePullRequest({ row, status, now, branchLinkRunId: links ?? null, heads, reviews, checks }, this.options);
    this.db
      .prepare('UPDATE pull_requests SET resolution = ?, resolved_at = ?, run_id = ?, recorded = ? WHERE repository = ? AND number = ?')
      .run(status, now, resolution.runId, JSON.stringify(resolution.recorded), row.repository, row.number);
    for (const recording of resolution.recordings) this.addRecording(recording, now);

    if (status !== 'merged') return;
    const resolvedRow = this.statements.getPullRequest.get(row.repository, row.number) as PullRequestRow;
    const deployments = this.db
      .prepare('SELECT * FROM deployments WHERE repository = ? AND deployed_at >= ? ORDER BY deployed_at')
      .all(row.repository, row.merged_at ?? 0) as DeploymentRow[];
    const first = deployments.find((deployment) => matchesDeployment(resolvedRow, deployment));
    if (first !== undefined) this.recordDeployment(resolvedRow, first, now);
  }

  private recordDeployment(row: PullRequestRow, deployment: DeploymentRow, now: number): void {
    const recorded = JSON.parse(row.recorded ?? '{}') as Pick<Recording, 'identity' | 'authorKind'>;
    this.addRecording(
      {
        kind: 'deployment',
        runId: row.run_id!,
        authorKind: recorded.authorKind,
        identity: recorded.identity,
        commitAt: row.merged_at!,
        deployedAt: deployment.deployed_at,
        // The MLTC recording rules select deployment.environment.name="production".
        environment: PRODUCTION,
        revision: deployment.sha,
      },
      now,
    );
    this.statements.markDeployed.run(row.repository, row.number);
  }

  private addRecording(recording: Recording, now: number): void {
    this.statements.insertOutbox.run(JSON.stringify(recording), now);
    this.outboxSize += 1;
  }
}

/** `deployment.environment.name` of every deployment that ends stage F, whatever the environment was called. */
const PRODUCTION = 'production';

/** Pull requests resolved per sweep at most (and as many abandoned), so that one transaction stays short. */
const RESOLVE_PER_SWEEP = 500;

function linkFromBody(body: string | null): string | null {
  const link = parsePullRequestMarker(body);
  return link === undefined ? null : JSON.stringify(link);
}

/** Thrown inside a transaction to roll back a delivery that a state limit rejected. */
class FullStore extends Error {}
