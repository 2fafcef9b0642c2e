/**
 * The bridge's log: one logfmt line per event on stderr, such as
 * `time=2026-12-01T09:00:00.000Z level=warn msg="invalid signature" delivery=… status=401`.
 * At most `maxLinesPerSecond` lines are written per second; the lines left out
 * are counted and reported in one line when writing resumes.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Creates a logger that writes lines at `level` and above to `write`. */
export function createLogger(options: { level?: LogLevel; maxLinesPerSecond?: number; write?: (line: string) => void } = {}): Logger {
  const minimum = LEVELS[options.level ?? 'info'];
  const maxLines = options.maxLinesPerSecond ?? 100;
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  let windowStart = 0;
  let linesInWindow = 0;
  let suppressed = 0;

  const log = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LEVELS[level] < minimum) return;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      linesInWindow = 0;
      if (suppressed > 0) {
        write(formatLine(now, 'warn', 'log lines suppressed by the rate limit', { lines: suppressed }));
        suppressed = 0;
      }
    }
    if (linesInWindow >= maxLines) {
      suppressed += 1;
      return;
    }
    linesInWindow += 1;
    write(formatLine(now, level, message, fields));
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

function formatLine(now: number, level: LogLevel, message: string, fields: LogFields): string {
  const parts = [`time=${new Date(now).toISOString()}`, `level=${level}`, `msg=${quote(message)}`];
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) parts.push(`${key}=${quote(String(value))}`);
  }
  return `${parts.join(' ')}\n`;
}

// Quotes values with spaces, quotes or control characters, so that a payload value cannot forge a log line.
function quote(value: string): string {
  return /^[^\s"=\p{Cc}]+$/u.test(value) ? value : JSON.stringify(value);
}
