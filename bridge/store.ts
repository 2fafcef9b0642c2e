import Database from 'better-sqlite3';
import type { Recording } from './recording.js';

/**
 * The bridge's SQLite state: seen delivery ids, what is known about each pull
 * request until its run is recorded in full, and the outbox of SDK calls not yet
 * confirmed by the collector. One process owns the file (an exclusive lock), and
 * every webhook's changes commit in one transaction.
 */

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_by_time ON deliveries (received_at);

CREATE TABLE IF NOT EXISTS pull_requests (
  repository TEXT NOT NULL,
  number INTEGER NOT NULL,
  author TEXT NOT NULL,
  head_ref TEXT NOT NULL,
  base_ref TEXT NOT NULL,
  body_link TEXT,
  labels TEXT NOT NULL,
  lines_changed INTEGER,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  merged_at INTEGER,
  merge_sha TEXT,
  last_event_at INTEGER NOT NULL,
  resolution TEXT,
  resolved_at INTEGER,
  run_id TEXT,
  recorded TEXT,
  deployed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (repository, number)
);
CREATE INDEX IF NOT EXISTS pull_requests_open ON pull_requests (resolution, last_event_at);
CREATE INDEX IF NOT EXISTS pull_requests_merge_sha ON pull_requests (repository, merge_sha);

CREATE TABLE IF NOT EXISTS heads (
  repository TEXT NOT NULL,
  number INTEGER NOT NULL,
  sha TEXT NOT NULL,
  pusher TEXT NOT NULL,
  pushed_at INTEGER NOT NULL,
  PRIMARY KEY (repository, number, sha)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS reviews (
  repository TEXT NOT NULL,
  number INTEGER NOT NULL,
  review_id TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (repository, number, review_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checks (
  repository TEXT NOT NULL,
  sha TEXT NOT NULL,
  name TEXT NOT NULL,
  conclusion TEXT NOT NULL,
  started_at INTEGER,
  completed_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (repository, sha, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS checks_by_receipt ON checks (received_at);

CREATE TABLE IF NOT EXISTS deployments (
  repository TEXT NOT NULL,
  sha TEXT NOT NULL,
  environment TEXT NOT NULL,
  ref TEXT,
  created_at INTEGER NOT NULL,
  deployed_at INTEGER NOT NULL,
  commits TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (repository, sha, environment)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deployments_by_receipt ON deployments (received_at);

CREATE TABLE IF NOT EXISTS branch_links (
  repository TEXT NOT NULL,
  branch TEXT NOT NULL,
  run_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repository, branch)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  recording TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/** A pull request row as stored. */
export interface PullRequestRow {
  repository: string;
  number: number;
  author: string;
  head_ref: string;
  base_ref: string;
  body_link: string | null;
  labels: string;
  lines_changed: number | null;
  opened_at: number;
  updated_at: number;
  closed_at: number | null;
  merged_at: number | null;
  merge_sha: string | null;
  last_event_at: number;
  resolution: string | null;
  resolved_at: number | null;
  run_id: string | null;
  /** JSON of the identity and author kind used when the run was recorded. */
  recorded: string | null;
  deployed: number;
}

export interface DeploymentRow {
  repository: string;
  sha: string;
  environment: string;
  ref: string | null;
  created_at: number;
  deployed_at: number;
  commits: string;
  received_at: number;
}

/** An outbox row: a recording and its sequence number. */
export interface OutboxRow {
  seq: number;
  recording: Recording;
}

/** Row counts of the state store. */
export interface StoreCounts {
  deliveries: number;
  pullRequests: number;
  openPullRequests: number;
  checks: number;
  deployments: number;
  outbox: number;
}

/** Opens (or creates) the state database at `file`; `:memory:` keeps it in memory. */
export function openStore(file: string): Database.Database {
  let db: Database.Database;
  try {
    // timeout 0: a database locked by another bridge fails at once instead of after 5 s.
    db = new Database(file, { timeout: 0 });
    // WAL with synchronous=FULL: a committed webhook survives a crash of the process
    // and of the machine. The exclusive lock keeps a second bridge off the file.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (error) {
    const message = (error as Error).message;
    if (/locked|busy/i.test(message)) {
      throw new Error(`the state database ${file} is in use by another bridge process (${message}); give each bridge its own --db file`);
    }
    throw new Error(`cannot open the state database ${file}: ${message}`);
  }

  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== 0 && version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`the state database ${file} has schema version ${version}, this bridge expects ${SCHEMA_VERSION}; use a new --db file`);
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}

/** Counts the rows of each table; cheap enough for a health check at these table sizes. */
export function countRows(db: Database.Database): StoreCounts {
  const count = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
  return {
    deliveries: count('SELECT count(*) FROM deliveries'),
    pullRequests: count('SELECT count(*) FROM pull_requests'),
    openPullRequests: count('SELECT count(*) FROM pull_requests WHERE resolution IS NULL'),
    checks: count('SELECT count(*) FROM checks'),
    deployments: count('SELECT count(*) FROM deployments'),
    outbox: count('SELECT count(*) FROM outbox'),
  };
}
