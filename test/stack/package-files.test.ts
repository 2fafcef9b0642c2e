import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repoRoot = resolve(import.meta.dirname, '..', '..');

// --ignore-scripts skips the prepare script, which would rebuild dist/ first.
const packed = (() => {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  const [result] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return new Set(result!.files.map((file) => file.path));
})();

/** Files in `dir` (relative to the repository) and below it, as paths relative to the repository. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(repoRoot.length + 1));
}

describe('npm package contents', () => {
  // The files that collector/build.sh, prometheus/build.sh and `stack up` read.
  it.each([
    'package.json',
    'collector/build.sh',
    'collector/builder-config.yaml',
    'collector/config.yaml',
    'collector/local-stack.yaml',
    'prometheus/build.sh',
    'prometheus/prometheus.yml',
    'docker-compose.yml',
  ])('includes %s', (path) => {
    expect(existsSync(join(repoRoot, path)), `${path} is missing from the repository`).toBe(true);
    expect(packed.has(path)).toBe(true);
  });

  it('includes every recording rule file', () => {
    const rules = filesUnder('prometheus/rules').filter((path) => path.endsWith('.yml'));
    expect(rules.length).toBeGreaterThan(0);
    for (const path of rules) expect(packed.has(path), path).toBe(true);
  });

  it('includes every file that docker-compose.yml mounts', () => {
    const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[] }> };
    const sources = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0]!)
      .filter((source) => source.startsWith('./'))
      .map((source) => source.slice(2));
    expect(sources.length).toBeGreaterThan(0);

    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), `./${source} is missing from the repository`).toBe(true);
      const files = statSync(join(repoRoot, source)).isDirectory() ? filesUnder(source) : [source];
      // Grafana loads the dashboards as JSON; their TypeScript sources stay out of the package.
      const mounted = source === 'dashboards' ? files.filter((path) => path.endsWith('.json')) : files;
      expect(mounted.length, `${source} has no files`).toBeGreaterThan(0);
      for (const path of mounted) expect(packed.has(path), `${path}, mounted from ./${source}`).toBe(true);
    }
  });

  it.skipIf(!existsSync(join(repoRoot, 'dist/cli/main.js')))('includes the built command', () => {
    expect(packed.has('dist/cli/main.js')).toBe(true);
  });

  it('leaves out the dashboard generator', () => {
    const generator = [...packed].filter((path) => path.startsWith('dist/dashboards/') || path.startsWith('dashboards/src/'));
    expect(generator).toEqual([]);
  });
});
