/**
 * Runs every benchmark, each in its own node process with --expose-gc so that
 * one benchmark's heap and compiled code do not affect the next: the overhead
 * benchmark, then the memory benchmark on the `host` and on the `own` provider
 * path. Prints the machine, each benchmark's tables, and last one JSON line
 * with all results.
 *
 *   npm run bench              (builds first)
 *   node dist/bench/main.js [--quick]
 *
 * --quick runs a few small rounds only, to check that the benchmarks work; its
 * numbers mean nothing.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

interface BenchProcess {
  name: string;
  script: string;
  args: string[];
}

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick;

const benches: BenchProcess[] = [
  {
    name: 'overhead',
    script: 'overhead.js',
    args: quick ? ['--rounds', '3', '--runs', '100', '--warmup', '1'] : ['--rounds', '15', '--runs', '2000', '--warmup', '3'],
  },
  {
    name: 'memoryHost',
    script: 'memory.js',
    args: ['--path', 'host', ...(quick ? ['--runs', '2000'] : ['--runs', '100000'])],
  },
  {
    name: 'memoryOwn',
    script: 'memory.js',
    args: ['--path', 'own', ...(quick ? ['--runs', '1000'] : ['--runs', '20000'])],
  },
];

const machine = {
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
console.log(`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB memory, Node.js ${machine.node} on ${machine.platform}`);
if (quick) console.log('Quick mode: the numbers below only show that the benchmarks run.');

const results: Record<string, unknown> = {};
for (const bench of benches) {
  console.log('');
  results[bench.name] = await runBench(bench);
}
console.log('');
console.log(JSON.stringify({ machine, quick, ...results }));

// Runs one benchmark process, echoes its output except its JSON line, and
// returns that line parsed.
async function runBench(bench: BenchProcess): Promise<unknown> {
  const child = spawn(process.execPath, ['--expose-gc', join(import.meta.dirname, bench.script), ...bench.args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let json: unknown;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('{"bench":')) json = JSON.parse(line);
    else console.log(line);
  }
  const { code, signal } = await exited;
  if (code !== 0 || json === undefined) {
    const exit = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    throw new Error(`benchmark ${bench.name} failed: node ${bench.script} ${bench.args.join(' ')} ${exit}${json === undefined ? ' and printed no result' : ''}`);
  }
  return json;
}
