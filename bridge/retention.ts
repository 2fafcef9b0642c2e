import type Database from 'better-sqlite3';

/**
 * Pruning of the state store, which keeps each table within its retention time
 * and its row cap. It runs inside the sweep's transaction.
 */

/** Retention times and caps; `BridgeOptions` documents each with its default. */
export interface RetentionOptions {
  deliveryRetentionMillis: number;
  maxDeliveries: number;
  deployWaitMillis: number;
  maxPullRequests: number;
}

/** Check results kept per tracked pull request at most, for the cap on the checks table. */
const CHECKS_PER_PULL_REQUEST = 10;

/** Deletes what is past its retention time or beyond its cap; returns the deleted deliveries and pull requests. */
export function pruneState(db: Database.Database, options: RetentionOptions, now: number): { deliveriesPruned: number; pullRequestsPruned: number } {
  let deliveriesPruned = db.prepare('DELETE FROM deliveries WHERE received_at < ?').run(now - options.deliveryRetentionMillis).changes;
  const excess = (db.prepare('SELECT count(*) FROM deliveries').pluck().get() as number) - options.maxDeliveries;
  if (excess > 0) {
    deliveriesPruned += db.prepare('DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries ORDER BY received_at LIMIT ?)').run(excess).changes;
  }

  // A resolved pull request's row stays for deployWaitMillis: while its deployment
  // may come, and as a tombstone, so that a late event does not record it again.
  const resolved = `SELECT repository, number FROM pull_requests WHERE resolution IS NOT NULL`;
  db.prepare(`DELETE FROM heads WHERE (repository, number) IN (${resolved})`).run();
  db.prepare(`DELETE FROM reviews WHERE (repository, number) IN (${resolved})`).run();
  const pullRequestsPruned = db.prepare('DELETE FROM pull_requests WHERE resolution IS NOT NULL AND resolved_at < ?').run(now - options.deployWaitMillis).changes;

  // Event times can be old (a redelivery, a slow pipeline), so retention counts from receipt.
  const cutoff = now - options.deployWaitMillis;
  db.prepare('DELETE FROM checks WHERE received_at < ?').run(cutoff);
  db.prepare('DELETE FROM deployments WHERE received_at < ?').run(cutoff);
  db.prepare('DELETE FROM branch_links WHERE updated_at < ?').run(cutoff);

  // Rows waiting for a pull request are also capped by count, oldest first.
  capRows(db, 'checks', 'repository, sha, name', 'received_at', CHECKS_PER_PULL_REQUEST * options.maxPullRequests);
  capRows(db, 'deployments', 'repository, sha, environment', 'received_at', options.maxPullRequests);
  capRows(db, 'branch_links', 'repository, branch', 'updated_at', options.maxPullRequests);
  return { deliveriesPruned, pullRequestsPruned };
}

/** Deletes the oldest resolved pull request that waits for no deployment, to make room; returns the rows deleted, 0 or 1. */
export function evictTombstone(db: Database.Database): number {
  return db
    .prepare(
      `DELETE FROM pull_requests WHERE (repository, number) IN (SELECT repository, number FROM pull_requests
       WHERE resolution IS NOT NULL AND (resolution != 'merged' OR deployed = 1) ORDER BY resolved_at LIMIT 1)`,
    )
    .run().changes;
}

// Deletes the oldest rows of `table` beyond `max`. The tables have no rowid, so rows are found by their key.
function capRows(db: Database.Database, table: 'checks' | 'deployments' | 'branch_links', key: string, timeColumn: string, max: number): void {
  const excess = (db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number) - max;
  if (excess <= 0) return;
  db.prepare(`DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} ORDER BY ${timeColumn} LIMIT ?)`).run(excess);
}
