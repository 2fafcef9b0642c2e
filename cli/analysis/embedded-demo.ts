import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { FactoryTelemetry } from '../../sdk/index.js';
import { planScenarios } from '../simulate/plan.js';
import { recordPlans, ROLES, type Role, type RoleTelemetry } from '../simulate/record.js';
import { loadScenario } from '../simulate/scenario.js';
import { findRepoRoot } from '../stack/options.js';
import { renderHtmlReport } from '../report/html.js';
import { formatCompare, formatExperiment, runCompare, runExperiment } from './decisions.js';
import { fileWindow, readFileRuns } from './file-runs.js';
import { FileSource } from './file-source.js';
import { htmlReportData } from './html-data.js';
import { buildReport, formatReport } from './report.js';

/**
 * The demo without servers. It simulates the four scenarios of scenarios/
 * through the SDK into one OTLP JSON lines file, with one FactoryTelemetry per
 * role of a real factory (harness, webhook handler, deploy job). The analysis
 * engine then reads the file back.
 */

/** The scenario files the demo simulates, in scenarios/. */
export const DEMO_SCENARIOS = ['context-experiment.yaml', 'model-swap.yaml', 'broken-feedback-loop.yaml', 'hidden-bottleneck.yaml'];
/** The experiment of context-experiment.yaml, whose analysis the demo prints. */
const DEMO_EXPERIMENT = 'initiative-spec-context';
/** The team of model-swap.yaml, whose two models the demo compares. */
const MODEL_SWAP_TEAM = 'checkout';

export interface EmbeddedDemoOptions {
  /** Folder for factory.jsonl and report.html; replaced files, not appended. */
  dir: string;
  seed: number;
  end: Date;
  /** Simulated weeks of every scenario; default each scenario's own. */
  weeks?: number;
  /** The reason for taking this path, printed first. */
  reason: string;
}

/** Runs the embedded demo; returns the exit code. */
export async function runEmbeddedDemo(options: EmbeddedDemoOptions): Promise<number> {
  const file = join(options.dir, 'factory.jsonl');
  const html = join(options.dir, 'report.html');
  process.stderr.write(`demo path: embedded, no servers (${options.reason})\n`);

  const root = findRepoRoot();
  const scenarios = DEMO_SCENARIOS.map((name) => loadScenario(join(root, 'scenarios', name)));
  const plans = planScenarios(scenarios, { seed: options.seed, end: options.end, weeks: options.weeks });
  mkdirSync(options.dir, { recursive: true });
  rmSync(file, { force: true });

  process.stderr.write(`simulating ${plans.length} runs of ${scenarios.map((scenario) => scenario.name).join(', ')} into ${file}\n`);
  // Only the file: a collector named in the environment would get the demo's runs too.
  const env = { ...process.env };
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'FACTORY_TELEMETRY_FILE']) delete env[name];
  const errors: string[] = [];
  const roles = Object.fromEntries(
    ROLES.map((role: Role) => [
      role,
      new FactoryTelemetry({
        serviceName: `factory-simulator-${role}`,
        file: { path: file },
        env,
        useGlobalTracerProvider: false,
        onError: (error) => errors.push(`[${role}] ${error.message}`),
      }),
    ]),
  ) as RoleTelemetry;
  await recordPlans(plans, roles);
  await Promise.all(ROLES.map((role) => roles[role].shutdown()));
  const failed = ROLES.reduce((sum, role) => sum + (roles[role].stats().file?.failed ?? 0), 0);
  for (const error of errors.slice(0, 5)) process.stderr.write(`factory-telemetry: ${error}\n`);
  if (failed > 0) {
    process.stderr.write(`${failed} spans could not be written to ${file}; the report would be incomplete\n`);
    return 1;
  }

  const runs = await readFileRuns(file);
  // The window ends where the simulated range ends: the reviews and deployments
  // of the last runs end later, and a tail of only slow runs would skew the last week.
  const source = new FileSource(runs, fileWindow(runs, undefined, options.end));
  const report = await buildReport(source, 'team');
  process.stdout.write(`\n${formatReport(report)}\n`);
  process.stdout.write(`${formatExperiment(await runExperiment(source, { name: DEMO_EXPERIMENT, split: undefined, control: undefined, targetEffect: undefined, metric: 'one_shot' }))}\n`);
  // Models are compared on the model swap's team only, where both models took the
  // same task mix; the other scenarios' teams differ in tasks as well as models.
  const swapRuns = { ...runs, runs: runs.runs.filter((run) => run.labels.team === MODEL_SWAP_TEAM) };
  const swapSource = new FileSource(swapRuns, fileWindow(swapRuns, undefined, options.end));
  process.stdout.write(`Model comparison on team ${MODEL_SWAP_TEAM} (scenarios/model-swap.yaml):\n`);
  process.stdout.write(`${formatCompare(await runCompare(swapSource, { by: 'model', within: 'complexity', metric: 'one_shot', margin: undefined }))}\n`);

  writeFileSync(html, renderHtmlReport(await htmlReportData(source, report, source.window, new Date())));
  process.stdout.write(
    `Wrote ${html} (open it in a browser) from ${file}.\n` +
      `Ask more of the same file: factory-telemetry loops --file ${file}, ` +
      `factory-telemetry cases --file ${file} --class test_failure --sample 10\n`,
  );
  return 0;
}

const execFileAsync = promisify(execFile);

/**
 * Checks whether the local stack can run here: both binaries are in the cache,
 * or Go is on the PATH to build them. Returns the reason when it cannot.
 */
export async function localStackAvailability(env: NodeJS.ProcessEnv = process.env): Promise<{ available: true } | { available: false; reason: string }> {
  const root = findRepoRoot();
  const cached: boolean[] = [];
  for (const script of ['collector/build.sh', 'prometheus/build.sh']) {
    try {
      const { stdout } = await execFileAsync('bash', [join(root, script), '--plan'], { env });
      const output = /^output=(.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
      cached.push(isExecutable(script.startsWith('prometheus') ? join(output, 'prometheus') : output));
    } catch {
      cached.push(false);
    }
  }
  if (cached.every(Boolean)) return { available: true };
  if (onPath('go', env)) return { available: true };
  return { available: false, reason: 'no Go toolchain on the PATH and no cached collector and Prometheus binaries' };
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, command)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
