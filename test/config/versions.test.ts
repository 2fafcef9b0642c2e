import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { parsePlan } from '../../cli/stack/binaries.js';

// The collector and Prometheus versions are pinned once, as image tags in
// docker-compose.yml. collector/builder-config.yaml must repeat the collector release,
// and prometheus/build.sh derives its Go module version from the Prometheus tag.

const repoRoot = resolve(import.meta.dirname, '..', '..');
const composePath = join(repoRoot, 'docker-compose.yml');
const COLLECTOR_IMAGE = 'otel/opentelemetry-collector-contrib';
const PROMETHEUS_IMAGE = 'prom/prometheus';

/**
 * Stable (v1.x) module version that each collector release ships with its v0.x modules.
 * Source: cmd/builder/internal/config/default.yaml of go.opentelemetry.io/collector at
 * that release. Add the pair here when the collector version changes.
 */
const STABLE_MODULE_VERSIONS: Record<string, string> = {
  '0.165.0': 'v1.71.0',
};

interface Manifest {
  dist: { version: string };
  [section: string]: unknown;
}

function imageTags(image: string): string[] {
  if (!existsSync(composePath)) {
    throw new Error(`${composePath} not found; it pins the collector and Prometheus images.`);
  }
  const compose = parse(readFileSync(composePath, 'utf8')) as { services?: Record<string, { image?: string }> };
  const tags = Object.values(compose.services ?? {})
    .map((service) => service.image ?? '')
    .filter((reference) => reference.startsWith(`${image}:`))
    .map((reference) => reference.slice(image.length + 1));
  return [...new Set(tags)];
}

function singleTag(image: string): string {
  const tags = imageTags(image);
  expect(tags, `docker-compose.yml images ${image}`).toHaveLength(1);
  return tags[0]!;
}

function manifestModules(manifest: Manifest): { module: string; version: string }[] {
  const modules: { module: string; version: string }[] = [];
  for (const entries of Object.values(manifest)) {
    const list = Array.isArray(entries) ? entries : [entries];
    for (const entry of list) {
      const gomod = (entry as { gomod?: unknown } | null)?.gomod;
      if (typeof gomod !== 'string') continue;
      const [module, version] = gomod.trim().split(/\s+/);
      modules.push({ module: module!, version: version ?? '' });
    }
  }
  return modules;
}

const manifest = parse(readFileSync(join(repoRoot, 'collector', 'builder-config.yaml'), 'utf8')) as Manifest;

describe('collector version', () => {
  it('builder manifest matches the compose image', () => {
    expect(manifest.dist.version).toBe(singleTag(COLLECTOR_IMAGE));
  });

  it('every gomod belongs to that release', () => {
    const release = singleTag(COLLECTOR_IMAGE);
    const stable = STABLE_MODULE_VERSIONS[release];
    expect(stable, `STABLE_MODULE_VERSIONS has no entry for collector ${release}`).toBeDefined();

    const modules = manifestModules(manifest);
    expect(modules.length).toBeGreaterThan(0);
    for (const { module, version } of modules) {
      const expected = version.startsWith('v1.') ? stable : `v${release}`;
      expect(version, module).toBe(expected);
    }
  });
});

describe('Prometheus version', () => {
  it('compose tag maps to the module version of prometheus/build.sh', () => {
    const tag = singleTag(PROMETHEUS_IMAGE);
    const match = /^v3\.(\d+)\.(\d+)$/.exec(tag);
    expect(match, `prom/prometheus tag ${tag} is not v3.X.Y`).not.toBeNull();
    const [, minor, patch] = match!;

    const result = spawnSync('bash', [join(repoRoot, 'prometheus', 'build.sh'), '--plan'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const plan = parsePlan(result.stdout);
    expect(plan.get('version')).toBe(tag.slice(1));
    expect(plan.get('module_version')).toBe(`v0.${300 + Number(minor)}.${patch}`);
  });
});
