// Static checks of docker-compose.yml. No container is started: CI has no Docker engine.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

interface ComposeService {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string> | string[];
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  deploy?: { resources?: { limits?: { memory?: string } } };
  mem_limit?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parseYaml(composeText) as ComposeFile;
const services = compose.services;
const collectorConfigText = readFileSync(join(root, 'collector/config.yaml'), 'utf8');

const COLLECTOR_IMAGE = 'otel/opentelemetry-collector-contrib:0.165.0';
const PROMETHEUS_IMAGE = 'prom/prometheus:v3.16.0';
const PROMETHEUS_FLAGS = [
  '--config.file=/etc/prometheus/prometheus.yml',
  '--web.enable-otlp-receiver',
  '--enable-feature=created-timestamp-zero-ingestion,exemplar-storage,otlp-native-delta-ingestion',
  '--storage.tsdb.path=/prometheus',
];

function service(name: string): ComposeService {
  const found = services[name];
  if (found === undefined) {
    throw new Error(`service ${name} is missing from docker-compose.yml`);
  }
  return found;
}

function commandArgs(svc: ComposeService): string[] {
  if (svc.command === undefined) return [];
  return typeof svc.command === 'string' ? svc.command.split(/\s+/) : svc.command;
}

/** Returns the value of `--name=value` or `-name=value` in the command. */
function flagValue(svc: ComposeService, name: string): string | undefined {
  const prefixes = [`--${name}=`, `-${name}=`];
  for (const arg of commandArgs(svc)) {
    const prefix = prefixes.find((p) => arg.startsWith(p));
    if (prefix !== undefined) return arg.slice(prefix.length);
  }
  return undefined;
}

interface BindMount {
  source: string;
  target: string;
}

/** Splits short-syntax volumes into bind mounts (host paths) and named volumes. */
function mounts(svc: ComposeService): { binds: BindMount[]; named: BindMount[] } {
  const binds: BindMount[] = [];
  const named: BindMount[] = [];
  for (const volume of svc.volumes ?? []) {
    if (typeof volume !== 'string') {
      throw new Error(`use the short volume syntax SOURCE:TARGET[:MODE], found ${JSON.stringify(volume)}`);
    }
    const [source = '', target = ''] = volume.split(':');
    const isPath = source.startsWith('.') || isAbsolute(source);
    (isPath ? binds : named).push({ source, target });
  }
  return { binds, named };
}

function environmentOf(svc: ComposeService): Record<string, string> {
  if (svc.environment === undefined) return {};
  if (!Array.isArray(svc.environment)) return svc.environment;
  return Object.fromEntries(svc.environment.map((entry) => entry.split('=', 2) as [string, string]));
}

/** Parses a Compose byte value such as 512M or 1G into MiB. */
function toMiB(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg])i?b?$/i.exec(value.trim());
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new Error(`memory limit '${value}' is not a number with unit k, m or g`);
  }
  const factor = { k: 1 / 1024, m: 1, g: 1024 }[match[2].toLowerCase() as 'k' | 'm' | 'g'];
  return Number(match[1]) * factor;
}

/** Reads the default of `${env:NAME:-default}` in collector/config.yaml. */
function collectorEnvDefault(name: string): string {
  const match = new RegExp(`\\$\\{env:${name}:-([^}]+)\\}`).exec(collectorConfigText);
  if (match?.[1] === undefined) {
    throw new Error(`collector/config.yaml has no \${env:${name}:-...} default`);
  }
  return match[1];
}

describe('docker-compose.yml', () => {
  it('opens with a usage comment', () => {
    expect(composeText.startsWith('#')).toBe(true);
    const header = composeText.slice(0, composeText.search(/^[^#\n]/m));
    expect(header).toContain('docker compose up -d');
    expect(header).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 PROMETHEUS_URL=http://127.0.0.1:9090');
  });

  it('defines the four services', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'otel-collector', 'prometheus', 'tempo']);
  });

  it('pins every image to a release tag', () => {
    for (const [name, svc] of Object.entries(services)) {
      const image = svc.image ?? '';
      const tag = /^[\w./-]+:([\w.-]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      expect(tag, `${name}: image '${image}' has no tag`).toBeDefined();
      expect(tag, `${name}: image '${image}' uses a floating tag`).not.toMatch(/^(latest|main|master|nightly)$/);
      expect(tag, `${name}: tag of '${image}' is not a X.Y.Z release`).toMatch(/^v?\d+\.\d+\.\d+$/);
    }
  });

  it('keeps the build-script image tags', () => {
    expect(service('otel-collector').image).toBe(COLLECTOR_IMAGE);
    expect(service('prometheus').image).toBe(PROMETHEUS_IMAGE);

    // prometheus/build.sh refuses a file that names two Prometheus versions outside comments.
    const codeLines = composeText.split('\n').filter((line) => !/^\s*#/.test(line));
    const prometheusRefs = codeLines.join('\n').match(/prom\/prometheus:v\d+\.\d+\.\d+/g) ?? [];
    expect(new Set(prometheusRefs)).toEqual(new Set([PROMETHEUS_IMAGE]));
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published: Record<string, string[]> = {};
    for (const [name, svc] of Object.entries(services)) {
      for (const port of svc.ports ?? []) {
        expect(typeof port, `${name}: use the short port syntax HOST_IP:HOST:CONTAINER`).toBe('string');
        const match = /^(\d+\.\d+\.\d+\.\d+):(\d+):(\d+)$/.exec(String(port));
        expect(match, `${name}: port '${String(port)}' does not name a host IP`).not.toBeNull();
        expect(match?.[1], `${name}: port '${String(port)}' is not bound to 127.0.0.1`).toBe('127.0.0.1');
        (published[name] ??= []).push(`${match?.[2]}:${match?.[3]}`);
      }
    }

    expect(published).toEqual({
      'otel-collector': ['4317:4317', '4318:4318'],
      tempo: ['3200:3200'],
      prometheus: ['9090:9090'],
      grafana: ['3000:3000'],
    });
  });

  it('sets a memory limit on every service', () => {
    for (const [name, svc] of Object.entries(services)) {
      const limit = svc.deploy?.resources?.limits?.memory ?? svc.mem_limit;
      expect(limit, `${name} has no memory limit`).toBeDefined();
      expect(toMiB(String(limit)), `${name}: memory limit`).toBeGreaterThan(0);
    }
  });

  it('keeps memory_limiter below container limit', () => {
    const collector = service('otel-collector');
    const env = environmentOf(collector);
    const limiterMiB = Number(env.COLLECTOR_MEMORY_LIMIT_MIB ?? collectorEnvDefault('COLLECTOR_MEMORY_LIMIT_MIB'));
    const containerMiB = toMiB(String(collector.deploy?.resources?.limits?.memory ?? collector.mem_limit));

    expect(Number.isFinite(limiterMiB)).toBe(true);
    expect(limiterMiB).toBeLessThan(containerMiB);
  });

  it('health-checks services that can probe', () => {
    // The collector-contrib image is FROM scratch: no shell and no HTTP client.
    expect(service('otel-collector').healthcheck).toBeUndefined();

    for (const name of ['tempo', 'prometheus', 'grafana']) {
      const test = service(name).healthcheck?.test;
      expect(Array.isArray(test), `${name}: healthcheck.test should be an exec-form list`).toBe(true);
      expect((test as string[])[0], `${name}: healthcheck`).toBe('CMD');
    }
    expect(service('tempo').healthcheck?.test).toEqual(['CMD', '/tempo', '-health']);
  });

  it('orders startup with depends_on conditions', () => {
    const allowed = ['service_started', 'service_healthy', 'service_completed_successfully'];

    for (const name of ['otel-collector', 'grafana']) {
      const dependsOn = service(name).depends_on;
      expect(dependsOn, `${name}: depends_on`).toBeDefined();
      expect(Array.isArray(dependsOn), `${name}: depends_on should map services to conditions`).toBe(false);
    }

    for (const [name, svc] of Object.entries(services)) {
      if (svc.depends_on === undefined) continue;
      expect(Array.isArray(svc.depends_on), `${name}: depends_on should map services to conditions`).toBe(false);

      for (const [dependency, spec] of Object.entries(svc.depends_on as Record<string, { condition?: string }>)) {
        expect(services[dependency], `${name} depends on unknown service ${dependency}`).toBeDefined();
        expect(allowed, `${name} -> ${dependency}: condition`).toContain(spec.condition);
        if (spec.condition === 'service_healthy') {
          expect(services[dependency]?.healthcheck, `${name} waits for ${dependency} to be healthy, but it has no healthcheck`).toBeDefined();
        }
      }
    }
  });

  it('mounts only existing host paths', () => {
    const declaredVolumes = Object.keys(compose.volumes ?? {});

    for (const [name, svc] of Object.entries(services)) {
      const { binds, named } = mounts(svc);
      for (const bind of binds) {
        expect(existsSync(join(root, bind.source)), `${name}: host path ${bind.source} does not exist`).toBe(true);
      }
      for (const volume of named) {
        expect(declaredVolumes, `${name}: named volume ${volume.source} is not declared`).toContain(volume.source);
      }
    }
  });

  it('mounts configs where commands read them', () => {
    const targetOf = (name: string, source: string): string | undefined =>
      mounts(service(name)).binds.find((bind) => bind.source === source)?.target;

    expect(flagValue(service('otel-collector'), 'config')).toBe(targetOf('otel-collector', './collector/config.yaml'));
    expect(flagValue(service('tempo'), 'config.file')).toBe(targetOf('tempo', './tempo/tempo.yaml'));
    expect(flagValue(service('prometheus'), 'config.file')).toBe(targetOf('prometheus', './prometheus/prometheus.yml'));
    expect(targetOf('grafana', './grafana/provisioning')).toBe('/etc/grafana/provisioning');
  });

  it('mounts rules where prometheus.yml reads', () => {
    const prometheusConfig = parseYaml(readFileSync(join(root, 'prometheus/prometheus.yml'), 'utf8')) as {
      rule_files?: string[];
    };
    const rulesTarget = mounts(service('prometheus')).binds.find((bind) => bind.source === './prometheus/rules')?.target;

    expect(rulesTarget).toBe('/etc/prometheus/rules');
    expect(prometheusConfig.rule_files ?? []).toContain(`${rulesTarget}/*.yml`);
  });

  it('starts Prometheus with required flags', () => {
    expect(commandArgs(service('prometheus'))).toEqual(PROMETHEUS_FLAGS);
  });

  it('defines the collector export targets', () => {
    const tempoEndpoint = collectorEnvDefault('TEMPO_OTLP_ENDPOINT');
    const prometheusEndpoint = new URL(collectorEnvDefault('PROMETHEUS_OTLP_ENDPOINT'));

    expect(services[tempoEndpoint.split(':')[0] ?? '']).toBeDefined();
    expect(services[prometheusEndpoint.hostname]).toBeDefined();
    expect(prometheusEndpoint.port).toBe('9090');
  });

  it('limits anonymous Grafana users to Viewer', () => {
    const env = environmentOf(service('grafana'));

    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
  });
});
