/**
 * Writes the generated dashboard JSON that Grafana provisions.
 *
 * Usage, from the repository root after `npm run build`:
 *   node dist/dashboards/src/generate.js [OUTPUT]
 * OUTPUT defaults to dashboards/factory-overview.json, relative to the current
 * directory. `npm run dashboards` builds and runs this script.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { renderOverviewJson } from './overview.js';

const DEFAULT_OUTPUT = 'dashboards/factory-overview.json';

const output = resolve(process.argv[2] ?? DEFAULT_OUTPUT);
writeFileSync(output, renderOverviewJson());
console.log(`Wrote ${output}`);
