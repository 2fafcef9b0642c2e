import { vi } from 'vitest';

/**
 * Replaces process.stdout.write and process.stderr.write with spies that keep
 * what a command prints. The caller restores them with vi.restoreAllMocks().
 */
export function captureOutput() {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  return { stdout: () => stdout.join(''), stderr: () => stderr.join('') };
}
