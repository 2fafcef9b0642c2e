import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { findRepoRoot, parseInterval, resolveStackConfig, resolveStateConfig } from '../../cli/stack/options.js';
import { assertPortsFree, parsePort, PORT_SPECS, resolvePorts } from '../../cli/stack/ports.js';

describe('parsePort', () => {
  it('accepts ports from 1 to 65535', () => {
    expect(parsePort('1', 'X')).toBe(1);
    expect(parsePort('19090', 'X')).toBe(19090);
    expect(parsePort(' 65535 ', 'X')).toBe(65535);
  });

  it.each(['0', '65536', '-1', '12.5', '1e3', 'abc', '', '0x50'])('rejects "%s"', (value) => {
    expect(() => parsePort(value, 'FACTORY_STACK_PROMETHEUS_PORT')).toThrow(
      `Invalid port "${value}" in FACTORY_STACK_PROMETHEUS_PORT`,
    );
  });
});

describe('resolvePorts', () => {
  it('uses the defaults without options or environment', () => {
    expect(resolvePorts(undefined, {})).toEqual({
      otlpHttp: 14318,
      otlpGrpc: 14317,
      health: 14133,
      collectorTelemetry: 14888,
      prometheus: 19090,
    });
  });

  it('prefers options over environment over defaults', () => {
    const env = { FACTORY_STACK_PROMETHEUS_PORT: '29090', FACTORY_STACK_OTLP_HTTP_PORT: '24318' };
    const ports = resolvePorts({ otlpHttp: 34318 }, env);
    expect(ports.otlpHttp).toBe(34318);
    expect(ports.prometheus).toBe(29090);
    expect(ports.health).toBe(14133);
  });

  it('ignores empty environment variables', () => {
    expect(resolvePorts(undefined, { FACTORY_STACK_HEALTH_PORT: ' ' }).health).toBe(14133);
  });

  it('rejects an invalid option value', () => {
    expect(() => resolvePorts({ health: 70000 }, {})).toThrow('option ports.health');
  });

  it('rejects two services on one port', () => {
    expect(() => resolvePorts({ prometheus: 14318 }, {})).toThrow(
      /Port 14318 is set for both .*FACTORY_STACK_OTLP_HTTP_PORT.*FACTORY_STACK_PROMETHEUS_PORT/,
    );
  });
});

describe('assertPortsFree', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  async function listenOnFreePort(): Promise<number> {
    server = createServer();
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  }

  it('names the busy port and its environment variable', async () => {
    const busy = await listenOnFreePort();
    const ports = { ...resolvePorts(undefined, {}), prometheus: busy };
    const error = await assertPortsFree(ports).then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message).toContain(`Port ${busy} on 127.0.0.1`);
    expect(error?.message).toContain('is already in use');
    expect(error?.message).toContain(PORT_SPECS.prometheus.envVar);
  });

  it('passes when every port is free', async () => {
    const port = await listenOnFreePort();
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    const ports = { otlpHttp: port, otlpGrpc: port, health: port, collectorTelemetry: port, prometheus: port };
    await expect(assertPortsFree(ports)).resolves.toBeUndefined();
  });
});

describe('parseInterval', () => {
  it.each(['2s', '15s', '1m', '1m30s', '500ms', '1h'])('accepts %s', (value) => {
    expect(parseInterval(value, 'X')).toBe(value);
  });

  it.each(['0s', '', '15', '1.5s', 's', '30s1m', '2 s', '1d'])('rejects "%s"', (value) => {
    expect(() => parseInterval(value, 'FACTORY_STACK_INTERVAL')).toThrow(
      `Invalid interval "${value}" in FACTORY_STACK_INTERVAL`,
    );
  });
});

describe('resolveStackConfig', () => {
  const repoRoot = resolve(import.meta.dirname, '..', '..');

  it('finds the repository root from the module', () => {
    expect(findRepoRoot()).toBe(repoRoot);
  });

  it('defaults to <repo>/.stack and 15s', () => {
    const config = resolveStackConfig({ env: {} });
    expect(config.stateDir).toBe(join(repoRoot, '.stack'));
    expect(config.interval).toBe('15s');
    expect(config.keepData).toBe(false);
  });

  it('reads the state dir and interval from the environment', () => {
    const config = resolveStackConfig({ env: { FACTORY_STACK_DIR: '/tmp/x-stack', FACTORY_STACK_INTERVAL: '2s' } });
    expect(config.stateDir).toBe('/tmp/x-stack');
    expect(config.interval).toBe('2s');
  });

  it('prefers options over the environment', () => {
    const config = resolveStackConfig({
      stateDir: '/tmp/y-stack',
      interval: '5s',
      env: { FACTORY_STACK_DIR: '/tmp/x-stack', FACTORY_STACK_INTERVAL: '2s' },
    });
    expect(config.stateDir).toBe('/tmp/y-stack');
    expect(config.interval).toBe('5s');
  });

  it('rejects an invalid interval from the environment', () => {
    expect(() => resolveStackConfig({ env: { FACTORY_STACK_INTERVAL: 'soon' } })).toThrow(
      'Invalid interval "soon" in FACTORY_STACK_INTERVAL',
    );
  });
});

describe('resolveStateConfig', () => {
  it('ignores invalid ports and interval', () => {
    const config = resolveStateConfig({
      env: { FACTORY_STACK_DIR: '/tmp/x-stack', FACTORY_STACK_INTERVAL: 'soon', FACTORY_STACK_HEALTH_PORT: 'x' },
    });
    expect(config.stateDir).toBe('/tmp/x-stack');
  });
});
