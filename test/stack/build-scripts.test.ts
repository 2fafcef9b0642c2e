import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parsePlan } from '../../cli/stack/binaries.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'stack-build-scripts-'));
const cache = join(scratch, 'cache');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(script: string, args: string[]) {
  const result = spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FACTORY_TELEMETRY_CACHE: cache },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs --plan of a copy of prometheus/build.sh next to a docker-compose.yml with `compose`. */
function planPrometheus(compose: string | undefined) {
  const root = mkdtempSync(join(scratch, 'repo-'));
  mkdirSync(join(root, 'prometheus'));
  copyFileSync(join(repoRoot, 'prometheus', 'build.sh'), join(root, 'prometheus', 'build.sh'));
  if (compose !== undefined) writeFileSync(join(root, 'docker-compose.yml'), compose);
  return run(join(root, 'prometheus', 'build.sh'), ['--plan']);
}

function composeWith(...images: string[]): string {
  return `services:\n${images.map((image, i) => `  s${i}:\n    image: ${image}\n`).join('')}`;
}

describe('parsePlan', () => {
  it('reads key=value lines', () => {
    const plan = parsePlan('version=3.16.0\nmodule_version=v0.316.0\noutput=/a=b\n');
    expect(plan.get('version')).toBe('3.16.0');
    expect(plan.get('module_version')).toBe('v0.316.0');
    expect(plan.get('output')).toBe('/a=b');
  });
});

describe('collector/build.sh --plan', () => {
  it('derives the builder version and cache path from dist.version', () => {
    const result = run(join(repoRoot, 'collector', 'build.sh'), ['--plan']);
    expect(result.status).toBe(0);
    const plan = parsePlan(result.stdout);
    const version = plan.get('version');
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(plan.get('builder_version')).toBe(`v${version}`);
    expect(plan.get('output')).toMatch(new RegExp(`^${cache}/otelcol-factory-${(version ?? '').replace(/\./g, '\\.')}-[0-9a-f]{12}/otelcol-factory$`));
  });

  it('rejects an unknown argument', () => {
    const result = run(join(repoRoot, 'collector', 'build.sh'), ['--force']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("unknown argument '--force'");
  });
});

describe('prometheus/build.sh --plan', () => {
  it.each([
    ['3.16.0', 'v0.316.0'],
    ['3.20.3', 'v0.320.3'],
  ])('maps Prometheus %s to module %s', (version, moduleVersion) => {
    const result = planPrometheus(composeWith(`prom/prometheus:v${version}`));
    expect(result.stderr).toBe('');
    const plan = parsePlan(result.stdout);
    expect(plan.get('version')).toBe(version);
    expect(plan.get('module_version')).toBe(moduleVersion);
    expect(plan.get('output')).toBe(join(cache, `prometheus-${version}`));
  });

  it('ignores commented-out images and repeated pins', () => {
    const compose = `# image: prom/prometheus:v3.1.0\n${composeWith('prom/prometheus:v3.16.0', 'prom/prometheus:v3.16.0')}`;
    expect(parsePlan(planPrometheus(compose).stdout).get('version')).toBe('3.16.0');
  });

  it('fails without docker-compose.yml', () => {
    const result = planPrometheus(undefined);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('docker-compose.yml not found');
  });

  it('fails without a prom/prometheus image', () => {
    const result = planPrometheus(composeWith('otel/opentelemetry-collector-contrib:0.165.0'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no image prom/prometheus:vX.Y.Z found');
  });

  it('fails on two different versions', () => {
    const result = planPrometheus(composeWith('prom/prometheus:v3.16.0', 'prom/prometheus:v3.17.0'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('several Prometheus versions (3.16.0 3.17.0)');
  });

  it('rejects Prometheus 2.x', () => {
    const result = planPrometheus(composeWith('prom/prometheus:v2.53.0'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('not a 3.x release');
  });

  it('rejects releases before 3.16', () => {
    const result = planPrometheus(composeWith('prom/prometheus:v3.15.1'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('older than 3.16');
  });
});
