import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DetachedProcessSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** File that receives stdout and stderr. It is truncated first. */
  logFile: string;
  pidFile: string;
}

/**
 * Starts `command` in its own process group, so that it outlives this Node process,
 * and writes its pid to `pidFile`. The returned handle reports an early exit while
 * this process still runs.
 */
export async function spawnDetached(spec: DetachedProcessSpec): Promise<ChildProcess> {
  const logFd = openSync(spec.logFile, 'w');
  try {
    const child = spawn(spec.command, spec.args, {
      env: spec.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`Failed to start ${spec.command}: ${error.message}`)));
    });
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child;
  } finally {
    closeSync(logFd);
  }
}

/** Returns the pid in `pidFile`, or undefined if the file is missing or invalid. */
export function readPidFile(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Returns the argv of a live process, or undefined if it has exited (zombies included). */
export function readCommandLine(pid: number): string[] | undefined {
  if (process.platform === 'linux') {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return args.length > 0 ? args : undefined;
    } catch {
      return undefined;
    }
  }

  // NOTE: `ps -o args=` splits arguments at spaces, so only the executable is reliable.
  try {
    const line = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return line ? line.split(/\s+/) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reports whether `pid` is alive and runs an executable named `executableName`. The
 * name check keeps `down` from signalling an unrelated process that reused the pid.
 */
export function isProcessRunning(pid: number, executableName: string): boolean {
  const args = readCommandLine(pid);
  return args !== undefined && args[0] !== undefined && basename(args[0]) === executableName;
}

export type StopResult = 'not-running' | 'terminated' | 'killed';

async function waitForExit(pid: number, executableName: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessRunning(pid, executableName)) return true;
    await sleep(100);
  }
  return !isProcessRunning(pid, executableName);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Sends SIGTERM to `pid` if it runs `executableName`, then SIGKILL if it is still
 * running after `timeoutMs`. Other processes are left alone.
 */
export async function stopProcess(pid: number, executableName: string, timeoutMs: number): Promise<StopResult> {
  if (!isProcessRunning(pid, executableName)) return 'not-running';

  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, executableName, timeoutMs)) return 'terminated';

  signal(pid, 'SIGKILL');
  if (await waitForExit(pid, executableName, 5_000)) return 'killed';
  throw new Error(`${executableName} (pid ${pid}) is still running after SIGKILL.`);
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}
