import { describe, expect, it } from 'vitest';

import { otlpHttpMetricsTargetFromEnv, otlpHttpTargetFromEnv } from '../../../sdk/export/index.js';

describe('otlpHttpTargetFromEnv', () => {
  it('returns the defaults for an empty environment', () => {
    const { target, problems } = otlpHttpTargetFromEnv({});

    expect(target).toEqual({
      url: 'http://localhost:4318/v1/traces',
      headers: {},
      protocol: 'http/protobuf',
      timeoutMillis: 10_000,
      compression: 'none',
    });
    expect(problems).toEqual([]);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'http://collector:4318/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example/otlp/' }, 'https://collector.example/otlp/v1/traces'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom' }, 'http://collector:4318/custom'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/x' },
      'http://traces:4318/x',
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, 'http://localhost:4318/v1/traces'],
  ])('builds the url from %o', (env, url) => {
    const { target, problems } = otlpHttpTargetFromEnv(env);

    expect(target.url).toBe(url);
    expect(problems).toEqual([]);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'not a url'],
  ])('reports invalid %s %s', (name, value) => {
    const { target, problems } = otlpHttpTargetFromEnv({ [name]: value });

    expect(target.url).toBe('http://localhost:4318/v1/traces');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${name}="${value}"`);
    expect(problems[0]).toContain('http://localhost:4318');
  });

  it('merges and decodes headers', () => {
    const { target, problems } = otlpHttpTargetFromEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=general, tenant=team%20a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=traces%3Dkey,x-extra=1',
    });

    expect(target.headers).toEqual({ 'api-key': 'traces=key', tenant: 'team a', 'x-extra': '1' });
    expect(problems).toEqual([]);
  });

  it('reports invalid headers without their values', () => {
    const { target, problems } = otlpHttpTargetFromEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'secret-only,ok=1,bad name=secret-1,broken=%E0%A4%A,=secret-2',
    });

    expect(target.headers).toEqual({ ok: '1' });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('OTEL_EXPORTER_OTLP_HEADERS: entry 1 has no "key=value" form');
    expect(problems[1]).toContain('invalid header name "bad name"');
    expect(problems[2]).toContain('entry 4 contains an invalid percent-encoding');
    expect(problems[3]).toContain('entry 5 has no "key=value" form');
    expect(problems.join('\n')).not.toContain('secret');
  });

  it('rejects control characters in header values', () => {
    const { target, problems } = otlpHttpTargetFromEnv({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=line%0Abreak' });

    expect(target.headers).toEqual({});
    expect(problems[0]).toContain('value of header "x-a" contains control characters');
  });

  it('reads protocol, timeout and compression', () => {
    const { target, problems } = otlpHttpTargetFromEnv({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
    });

    expect(target.protocol).toBe('http/json');
    expect(target.timeoutMillis).toBe(2500);
    expect(target.compression).toBe('gzip');
    expect(problems).toEqual([]);
  });

  it('falls back from grpc to http/protobuf', () => {
    const { target, problems } = otlpHttpTargetFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });

    expect(target.protocol).toBe('http/protobuf');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported');
    expect(problems[0]).toContain('4318');
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml', 'protocol', 'http/protobuf'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '10s', 'timeoutMillis', 10_000],
    ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '0', 'timeoutMillis', 10_000],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '-5', 'timeoutMillis', 10_000],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'brotli', 'compression', 'none'],
  ] as const)('replaces invalid %s=%s', (name, value, field, fallback) => {
    const { target, problems } = otlpHttpTargetFromEnv({ [name]: value });

    expect(target[field]).toBe(fallback);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${name}="${value}"`);
    expect(problems[0]).toContain(String(fallback));
  });

  it('never throws on odd input', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: '%%%',
      OTEL_EXPORTER_OTLP_HEADERS: ',,,=,%',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1e400',
      OTEL_EXPORTER_OTLP_PROTOCOL: '\u0000',
    };

    expect(() => otlpHttpTargetFromEnv(env)).not.toThrow();
  });
});

describe('otlpHttpMetricsTargetFromEnv', () => {
  it('returns the defaults for an empty environment', () => {
    const { target, problems } = otlpHttpMetricsTargetFromEnv({});

    expect(target).toEqual({
      url: 'http://localhost:4318/v1/metrics',
      headers: {},
      protocol: 'http/protobuf',
      timeoutMillis: 10_000,
      compression: 'none',
    });
    expect(problems).toEqual([]);
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'http://collector:4318/v1/metrics'],
    [{ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318/custom' }, 'http://collector:4318/custom'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/x' },
      'http://metrics:4318/x',
    ],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces' }, 'http://localhost:4318/v1/metrics'],
  ])('builds the url from %o', (env, url) => {
    const { target, problems } = otlpHttpMetricsTargetFromEnv(env);

    expect(target.url).toBe(url);
    expect(problems).toEqual([]);
  });

  it('prefers METRICS_ variables over general ones', () => {
    const { target, problems } = otlpHttpMetricsTargetFromEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=general,tenant=a',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'api-key=metrics',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-traces-only=1',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none',
    });

    expect(target.headers).toEqual({ 'api-key': 'metrics', tenant: 'a' });
    expect(target.protocol).toBe('http/json');
    expect(target.timeoutMillis).toBe(700);
    expect(target.compression).toBe('gzip');
    expect(problems).toEqual([]);
  });

  it('reports an invalid METRICS_ endpoint', () => {
    const { target, problems } = otlpHttpMetricsTargetFromEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318' });

    expect(target.url).toBe('http://localhost:4318/v1/metrics');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="collector:4318" is not a valid http:// or https:// URL');
    expect(problems[0]).toContain('Set it to the full metrics URL');
  });
});
