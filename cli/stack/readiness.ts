import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadinessCheck {
  /** Service name for messages, e.g. "collector". */
  name: string;
  url: string;
  logFile: string;
  /** Returns false once the process has exited, which ends the wait early. */
  isAlive: () => boolean;
  timeoutMs: number;
}

const POLL_INTERVAL_MS = 200;
const REQUEST_TIMEOUT_MS = 2_000;
const LOG_TAIL_LINES = 15;

/** Returns the last lines of a log file, indented, or an empty string. */
export function readLogTail(logFile: string, lines: number = LOG_TAIL_LINES): string {
  if (!existsSync(logFile)) return '';
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines);
  return tail.map((line) => `    ${line}`).join('\n');
}

async function returnsOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Polls `check.url` until it returns 200. Throws, naming the log file and quoting its
 * last lines, if the process exits first or the timeout passes.
 */
export async function waitUntilReady(check: ReadinessCheck): Promise<void> {
  const deadline = Date.now() + check.timeoutMs;
  for (;;) {
    if (await returnsOk(check.url)) return;

    let problem: string | undefined;
    if (!check.isAlive()) {
      problem = `${check.name} exited during startup`;
    } else if (Date.now() >= deadline) {
      problem = `${check.name} did not return 200 at ${check.url} within ${check.timeoutMs / 1000}s`;
    }
    if (problem) {
      const tail = readLogTail(check.logFile);
      throw new Error(`${problem}. See ${check.logFile}${tail ? `; it ends with:\n${tail}` : '.'}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
