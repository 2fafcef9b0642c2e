/**
 * Summarises a V8 CPU profile (the .cpuprofile file that `node --cpu-prof`
 * writes): the share of samples by source file (self time), and by function
 * including the functions it calls (total time).
 *
 *   node dist/bench/cpuprofile-summary.js <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatTable } from './format.js';

/** The parts of the Chrome DevTools CPU profile format that this script reads. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const file = positionals[0];
if (file === undefined) throw new Error('missing profile file: pass the path of a .cpuprofile file that node --cpu-prof wrote');
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const samplesByNode = new Map<number, number>();
for (const id of profile.samples) samplesByNode.set(id, (samplesByNode.get(id) ?? 0) + 1);
const total = profile.samples.length;

// Paths inside this repository and node_modules, shortened for reading.
const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
const functionKey = (id: number) => {
  const frame = nodes.get(id)!.callFrame;
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  return frame.url === '' ? name : `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
};

const selfByFile = new Map<string, number>();
const totalByFunction = new Map<string, number>();
for (const [id, count] of samplesByNode) {
  const frame = nodes.get(id)!.callFrame;
  // Regular expressions and the garbage collector appear as frames without a URL.
  const fileKey = frame.url !== '' ? shortUrl(frame.url) : frame.functionName.startsWith('RegExp:') ? '(regular expressions)' : frame.functionName || '(unnamed native code)';
  selfByFile.set(fileKey, (selfByFile.get(fileKey) ?? 0) + count);

  // A recursive function counts once per sample.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
    const key = functionKey(current);
    if (seen.has(key)) continue;
    seen.add(key);
    totalByFunction.set(key, (totalByFunction.get(key) ?? 0) + count);
  }
}

const rows = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, count]) => [key, ((100 * count) / total).toFixed(1)]);

console.log(`${total} samples in ${file}\n`);
console.log(formatTable(['self time by file', '%'], rows(selfByFile)));
console.log('');
console.log(formatTable(['total time by function (with callees)', '%'], rows(totalByFunction)));
