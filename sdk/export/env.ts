/**
 * OTLP/HTTP trace and metrics export settings read from the standard OpenTelemetry
 * environment variables (OpenTelemetry specification, "OpenTelemetry Protocol
 * Exporter" configuration options).
 */

/** Endpoint and request settings of an OTLP/HTTP exporter. */
export interface OtlpHttpTarget {
  /** Full URL of the endpoint, for example `http://localhost:4318/v1/traces`. */
  url: string;
  /** Extra request headers, for example an authorization token. */
  headers: Record<string, string>;
  /** Request body encoding. */
  protocol: 'http/protobuf' | 'http/json';
  /** Maximum time in ms that one HTTP request may take before it is aborted and retried. */
  timeoutMillis: number;
  /** Request body compression. */
  compression: 'gzip' | 'none';
}

/** Default traces URL: an OpenTelemetry Collector on this host with its OTLP/HTTP receiver on port 4318. */
export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';
/** Default metrics URL, on the same collector as DEFAULT_OTLP_TRACES_URL. */
export const DEFAULT_OTLP_METRICS_URL = 'http://localhost:4318/v1/metrics';
/** Default request timeout in ms, as in the OpenTelemetry specification. */
export const DEFAULT_OTLP_TIMEOUT_MILLIS = 10_000;

/** Signal-specific part of the variable names and URL defaults. */
interface Signal {
  /** Infix of the signal-specific variables, as in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  variablePrefix: 'OTEL_EXPORTER_OTLP_TRACES_' | 'OTEL_EXPORTER_OTLP_METRICS_';
  /** Path appended to OTEL_EXPORTER_OTLP_ENDPOINT. */
  path: '/v1/traces' | '/v1/metrics';
  defaultUrl: string;
  /** Name of the signal's endpoint in messages. */
  endpointName: 'traces URL' | 'metrics URL';
}

const TRACES: Signal = {
  variablePrefix: 'OTEL_EXPORTER_OTLP_TRACES_',
  path: '/v1/traces',
  defaultUrl: DEFAULT_OTLP_TRACES_URL,
  endpointName: 'traces URL',
};
const METRICS: Signal = {
  variablePrefix: 'OTEL_EXPORTER_OTLP_METRICS_',
  path: '/v1/metrics',
  defaultUrl: DEFAULT_OTLP_METRICS_URL,
  endpointName: 'metrics URL',
};

// RFC 9110 token characters, the characters allowed in a header name.
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Header values must not contain control characters other than horizontal tab.
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Reads the OTLP/HTTP trace export settings from environment variables.
 *
 * - Endpoint: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is. Otherwise
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` gets `/v1/traces` appended. Default
 *   `http://localhost:4318/v1/traces`.
 * - Headers: `OTEL_EXPORTER_OTLP_HEADERS` and then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`,
 *   each a comma-separated list of `key=value` with URL-encoded keys and values. A key
 *   in the traces variable replaces the same key from the general one.
 * - Protocol: `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`, `http/protobuf` (default) or
 *   `http/json`. `grpc` is not supported and falls back to `http/protobuf`.
 * - Timeout: `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT` in ms, default 10000.
 * - Compression: `OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION`, `gzip` or `none` (default).
 *
 * The `TRACES_` variable wins over the general one. Empty values count as unset.
 * Invalid values are replaced by the default and listed in `problems`, each naming the
 * variable, the value and the fix. Header values are never copied into a problem,
 * because they often contain credentials. This function never throws.
 *
 * @param env variables to read, default `process.env`
 */
export function otlpHttpTargetFromEnv(env: NodeJS.ProcessEnv = process.env): {
  target: OtlpHttpTarget;
  problems: string[];
} {
  return readTarget(env, TRACES);
}

/**
 * Reads the OTLP/HTTP metrics export settings from environment variables, by the
 * rules of `otlpHttpTargetFromEnv` with `METRICS_` in place of `TRACES_`:
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is used as is, else `OTEL_EXPORTER_OTLP_ENDPOINT`
 * gets `/v1/metrics` appended, else the URL is `http://localhost:4318/v1/metrics`.
 * The `METRICS_` forms of `HEADERS`, `PROTOCOL`, `TIMEOUT` and `COMPRESSION` win over
 * the general ones. This function never throws.
 *
 * @param env variables to read, default `process.env`
 */
export function otlpHttpMetricsTargetFromEnv(env: NodeJS.ProcessEnv = process.env): {
  target: OtlpHttpTarget;
  problems: string[];
} {
  return readTarget(env, METRICS);
}

function readTarget(env: NodeJS.ProcessEnv, signal: Signal): { target: OtlpHttpTarget; problems: string[] } {
  const problems: string[] = [];
  const target: OtlpHttpTarget = {
    url: readUrl(env, signal, problems),
    headers: readHeaders(env, signal, problems),
    protocol: readProtocol(env, signal, problems),
    timeoutMillis: readTimeout(env, signal, problems),
    compression: readCompression(env, signal, problems),
  };
  return { target, problems };
}

/** A variable's name and value, or undefined when it is unset or empty. */
interface EnvSetting {
  name: string;
  value: string;
}

/** Returns the signal-specific variable if set, else the general one. */
function pickSetting(env: NodeJS.ProcessEnv, signal: Signal, suffix: string): EnvSetting | undefined {
  for (const name of [`${signal.variablePrefix}${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const value = env[name]?.trim();
    if (value) {
      return { name, value };
    }
  }
  return undefined;
}

function readUrl(env: NodeJS.ProcessEnv, signal: Signal, problems: string[]): string {
  const signalVariable = `${signal.variablePrefix}ENDPOINT`;
  const signalEndpoint = env[signalVariable]?.trim();
  if (signalEndpoint) {
    if (isHttpUrl(signalEndpoint)) {
      return signalEndpoint;
    }
    problems.push(
      `${signalVariable}="${signalEndpoint}" is not a valid http:// or https:// URL; ` +
        `using ${signal.defaultUrl}. Set it to the full ${signal.endpointName}, for example ${signal.defaultUrl}.`,
    );
    return signal.defaultUrl;
  }

  const baseEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (baseEndpoint) {
    const url = baseEndpoint.replace(/\/+$/, '') + signal.path;
    if (isHttpUrl(baseEndpoint) && isHttpUrl(url)) {
      return url;
    }
    problems.push(
      `OTEL_EXPORTER_OTLP_ENDPOINT="${baseEndpoint}" is not a valid http:// or https:// URL; ` +
        `using ${signal.defaultUrl}. Set it to the collector's base URL without a path, ` +
        `for example http://localhost:4318 (the exporter appends ${signal.path}).`,
    );
  }
  return signal.defaultUrl;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function readHeaders(env: NodeJS.ProcessEnv, signal: Signal, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', `${signal.variablePrefix}HEADERS`]) {
    const value = env[name]?.trim();
    if (value) {
      parseHeaderList(name, value, headers, problems);
    }
  }
  return headers;
}

/** Adds the `key=value` entries of `list` to `headers`, skipping invalid ones. */
function parseHeaderList(
  variable: string,
  list: string,
  headers: Record<string, string>,
  problems: string[],
): void {
  const entries = list.split(',');
  entries.forEach((entry, index) => {
    if (entry.trim() === '') {
      return;
    }
    const position = `entry ${index + 1}`;
    const separator = entry.indexOf('=');
    if (separator <= 0) {
      problems.push(
        `${variable}: ${position} has no "key=value" form and is ignored. ` +
          'Write the headers as comma-separated key=value pairs, for example "api-key=abc,tenant=team-a".',
      );
      return;
    }

    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(entry.slice(0, separator).trim());
      value = decodeURIComponent(entry.slice(separator + 1).trim());
    } catch {
      problems.push(
        `${variable}: ${position} contains an invalid percent-encoding and is ignored. ` +
          'Encode "%" as "%25" and other special characters with encodeURIComponent.',
      );
      return;
    }

    if (!HEADER_NAME_PATTERN.test(key)) {
      problems.push(
        `${variable}: ${position} has the invalid header name "${key}" and is ignored. ` +
          'Header names may contain only letters, digits and !#$%&\'*+-.^_`|~.',
      );
      return;
    }
    if (HEADER_VALUE_FORBIDDEN.test(value)) {
      problems.push(
        `${variable}: the value of header "${key}" contains control characters and is ignored. ` +
          'Remove line breaks and other control characters from the value.',
      );
      return;
    }
    headers[key] = value;
  });
}

function readProtocol(env: NodeJS.ProcessEnv, signal: Signal, problems: string[]): OtlpHttpTarget['protocol'] {
  const setting = pickSetting(env, signal, 'PROTOCOL');
  if (!setting || setting.value === 'http/protobuf' || setting.value === 'http/json') {
    return (setting?.value as OtlpHttpTarget['protocol'] | undefined) ?? 'http/protobuf';
  }
  if (setting.value === 'grpc') {
    problems.push(
      `${setting.name}="grpc" is not supported, because this exporter sends OTLP over HTTP only; ` +
        'using http/protobuf. Set it to http/protobuf or http/json, and point the endpoint at the ' +
        "collector's OTLP/HTTP port (4318 by default) instead of the gRPC port (4317).",
    );
  } else {
    problems.push(
      `${setting.name}="${setting.value}" is not a valid protocol; using http/protobuf. ` +
        'Set it to http/protobuf or http/json.',
    );
  }
  return 'http/protobuf';
}

function readTimeout(env: NodeJS.ProcessEnv, signal: Signal, problems: string[]): number {
  const setting = pickSetting(env, signal, 'TIMEOUT');
  if (!setting) {
    return DEFAULT_OTLP_TIMEOUT_MILLIS;
  }
  const millis = /^\d+$/.test(setting.value) ? Number(setting.value) : Number.NaN;
  if (Number.isSafeInteger(millis) && millis > 0) {
    return millis;
  }
  problems.push(
    `${setting.name}="${setting.value}" is not a positive whole number of milliseconds; ` +
      `using ${DEFAULT_OTLP_TIMEOUT_MILLIS}. Set it to a value such as ${DEFAULT_OTLP_TIMEOUT_MILLIS}.`,
  );
  return DEFAULT_OTLP_TIMEOUT_MILLIS;
}

function readCompression(env: NodeJS.ProcessEnv, signal: Signal, problems: string[]): OtlpHttpTarget['compression'] {
  const setting = pickSetting(env, signal, 'COMPRESSION');
  if (!setting || setting.value === 'none' || setting.value === 'gzip') {
    return (setting?.value as OtlpHttpTarget['compression'] | undefined) ?? 'none';
  }
  problems.push(
    `${setting.name}="${setting.value}" is not a supported compression; using none. ` +
      'Set it to gzip or none.',
  );
  return 'none';
}
