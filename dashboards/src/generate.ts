/**
 * Writes the generated dashboard JSON files that Grafana provisions.
 *
 * Usage, from the repository root after `npm run build`:
 *   node dist/dashboards/src/generate.js [ROOT]
 * Each board is written to its path in boards.ts, relative to ROOT, which defaults to
 * the current directory. `npm run dashboards` builds and runs this script.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { BOARDS } from './boards.js';

const root = resolve(process.argv[2] ?? '.');

for (const board of BOARDS) {
  const output = resolve(root, board.file);
  writeFileSync(output, board.render());
  console.log(`Wrote ${output}`);
}
