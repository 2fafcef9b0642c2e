import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// Builds the collector and Prometheus (or finds them in the cache) once, before
// any test file runs, so that the rule tests and the end-to-end tests do not
// start the same ten-minute Go build at the same time.
export default function setup(): void {
  const repo = join(import.meta.dirname, '..');
  for (const script of ['collector/build.sh', 'prometheus/build.sh']) {
    execFileSync('bash', [join(repo, script)], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
