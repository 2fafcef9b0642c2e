import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Paths of the executables that the local stack runs. */
export interface StackBinaries {
  collector: string;
  prometheus: string;
}

/** Parses the `key=value` lines that a build script prints with --plan. */
export function parsePlan(output: string): Map<string, string> {
  const plan = new Map<string, string>();
  for (const line of output.split('\n')) {
    const separator = line.indexOf('=');
    if (separator > 0) plan.set(line.slice(0, separator), line.slice(separator + 1).trim());
  }
  return plan;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readPlanOutput(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', [script, '--plan'], { env });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${script} --plan failed: ${stderr || String(error)}`);
  }
}

/** Default time between two "still building" lines while a build script runs. */
export const BUILD_PROGRESS_INTERVAL_MS = 30_000;

/** Formats an elapsed time as "30 s", "2 min" or "2 min 30 s". */
export function formatElapsed(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes === 0) return `${seconds} s`;
  return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
}

/**
 * Runs a build script with stderr passed through, and returns the last line of its
 * stdout. Logs "still building <label> (<elapsed>)" every `progressIntervalMs`, because
 * the Go build can print nothing for minutes.
 */
function runBuildScript(
  script: string,
  label: string,
  env: NodeJS.ProcessEnv,
  log: (message: string) => void,
  progressIntervalMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const progress = setInterval(() => log(`still building ${label} (${formatElapsed(Date.now() - started)})`), progressIntervalMs);
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.once('error', (error) => {
      clearInterval(progress);
      reject(new Error(`Failed to run ${script}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearInterval(progress);
      if (code !== 0) {
        const status = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`${script} failed with ${status}; its output is above.`));
        return;
      }
      const lines = stdout.trim().split('\n');
      resolve(lines[lines.length - 1] ?? '');
    });
  });
}

/**
 * Returns the path of one executable, and builds it first with `script` if it is
 * missing. `outputToBinary` maps the script's output path (its `output=` plan line
 * and last stdout line) to the executable.
 */
async function ensureBinary(
  script: string,
  label: string,
  outputToBinary: (output: string) => string,
  env: NodeJS.ProcessEnv,
  log: (message: string) => void,
  progressIntervalMs: number,
): Promise<string> {
  const plan = parsePlan(await readPlanOutput(script, env));
  const planned = plan.get('output');
  if (!planned) throw new Error(`${script} --plan printed no output= line.`);
  if (isExecutable(outputToBinary(planned))) return outputToBinary(planned);

  // The script itself prints how long a first build takes.
  log(`Building ${label} ${plan.get('version') ?? ''} with ${script}.`);
  const built = outputToBinary(await runBuildScript(script, label, env, log, progressIntervalMs));
  if (!isExecutable(built)) {
    throw new Error(`${script} finished, but ${built} is missing or not executable.`);
  }
  return built;
}

/** Returns the collector and Prometheus executables, building the missing ones. */
export async function ensureBinaries(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
  log: (message: string) => void,
  progressIntervalMs: number = BUILD_PROGRESS_INTERVAL_MS,
): Promise<StackBinaries> {
  const collector = await ensureBinary(
    join(repoRoot, 'collector', 'build.sh'),
    'the collector',
    (output) => output,
    env,
    log,
    progressIntervalMs,
  );
  const prometheus = await ensureBinary(
    join(repoRoot, 'prometheus', 'build.sh'),
    'Prometheus',
    (output) => join(output, 'prometheus'),
    env,
    log,
    progressIntervalMs,
  );
  return { collector, prometheus };
}
