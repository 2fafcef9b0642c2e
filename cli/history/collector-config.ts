import { readFileSync } from 'node:fs';

import { parse } from 'yaml';

/**
 * The parts of collector/config.yaml that decide which series the collector's
 * connectors write, read from the file so that the history path cannot drift from
 * the live one.
 */
export interface ConnectorDefinitions {
  spanMetrics: SpanMetricsDefinition;
  signalToMetrics: SignalToMetricsDefinition[];
}

export interface SpanMetricsDefinition {
  /** Metric name prefix, for example `factory.span`. */
  namespace: string;
  /** Attributes on both the calls and the duration series. */
  dimensions: string[];
  /** Attributes on the calls series only. */
  callsDimensions: string[];
  /** Attributes on the duration histogram only. */
  histogramDimensions: string[];
  /** Unit of the duration histogram, `s` or `ms`. */
  histogramUnit: 's' | 'ms';
  /** Upper bucket bounds in `histogramUnit`. */
  histogramBounds: number[];
}

/** One `signal_to_metrics.spans` entry whose condition and value the history path can evaluate. */
export interface SignalToMetricsDefinition {
  name: string;
  description: string;
  unit: string;
  /** The span name that the condition requires. */
  spanName: string;
  /** Attributes that must be present on the span (`!= nil` in the condition). */
  requiredAttributes: string[];
  attributes: { key: string; optional: boolean; defaultValue?: string | number | boolean }[];
  /** Span attribute whose value is summed or observed. */
  valueAttribute: string;
  kind: 'sum' | 'histogram';
  /** Bucket bounds of a histogram. */
  bounds: number[];
}

/** Reads and checks the connector definitions of a collector configuration file. */
export function readConnectorDefinitions(path: string): ConnectorDefinitions {
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the collector configuration ${path}: ${(error as Error).message}`);
  }
  const connectors = field(document, 'connectors', path);
  return {
    spanMetrics: spanMetricsDefinition(field(connectors, 'span_metrics', path), path),
    signalToMetrics: signalToMetricsDefinitions(field(connectors, 'signal_to_metrics', path), path),
  };
}

function spanMetricsDefinition(config: unknown, path: string): SpanMetricsDefinition {
  const histogram = field(config, 'histogram', path);
  const unit = String(optionalField(histogram, 'unit') ?? 'ms');
  if (unit !== 's' && unit !== 'ms') {
    throw new Error(`${path}: span_metrics.histogram.unit is ${JSON.stringify(unit)}, but the history path supports only s and ms.`);
  }
  const explicit = field(histogram, 'explicit', path);
  const buckets = field(explicit, 'buckets', path);
  if (!Array.isArray(buckets)) throw new Error(`${path}: span_metrics.histogram.explicit.buckets is not a list.`);
  const temporality = optionalField(config, 'aggregation_temporality');
  if (temporality !== undefined && temporality !== 'AGGREGATION_TEMPORALITY_CUMULATIVE') {
    throw new Error(`${path}: span_metrics.aggregation_temporality is ${String(temporality)}, but the history path writes only cumulative counters. Use AGGREGATION_TEMPORALITY_CUMULATIVE.`);
  }
  return {
    namespace: String(optionalField(config, 'namespace') ?? 'traces.span.metrics'),
    dimensions: dimensionNames(optionalField(config, 'dimensions'), 'span_metrics.dimensions', path),
    callsDimensions: dimensionNames(optionalField(config, 'calls_dimensions'), 'span_metrics.calls_dimensions', path),
    histogramDimensions: dimensionNames(optionalField(histogram, 'dimensions'), 'span_metrics.histogram.dimensions', path),
    histogramUnit: unit,
    histogramBounds: buckets.map((bucket) => durationIn(bucket, unit, path)),
  };
}

function signalToMetricsDefinitions(config: unknown, path: string): SignalToMetricsDefinition[] {
  const spans = optionalField(config, 'spans') ?? [];
  if (!Array.isArray(spans)) throw new Error(`${path}: signal_to_metrics.spans is not a list.`);
  return spans.map((entry: unknown) => {
    const name = String(field(entry, 'name', path));
    const where = `signal_to_metrics metric ${name}`;
    const conditions = optionalField(entry, 'conditions') ?? [];
    if (!Array.isArray(conditions) || conditions.length !== 1) {
      throw new Error(`${path}: ${where} needs exactly one condition for the history path, found ${JSON.stringify(conditions)}.`);
    }
    const condition = parseCondition(String(conditions[0]), where, path);
    const sum = optionalField(entry, 'sum');
    const histogram = optionalField(entry, 'histogram');
    let kind: 'sum' | 'histogram' | undefined;
    if (sum !== undefined) kind = 'sum';
    else if (histogram !== undefined) kind = 'histogram';
    if (kind === undefined) throw new Error(`${path}: ${where} is neither a sum nor a histogram, which the history path does not support.`);
    const body = kind === 'sum' ? sum : histogram;
    if (kind === 'sum' && optionalField(sum, 'monotonic') !== true) {
      throw new Error(`${path}: ${where} is a non-monotonic sum, but the history path writes only monotonic delta sums.`);
    }
    const bounds = kind === 'histogram' ? optionalField(histogram, 'buckets') : [];
    if (!Array.isArray(bounds)) throw new Error(`${path}: ${where} histogram.buckets is not a list.`);
    const attributes = optionalField(entry, 'attributes') ?? [];
    if (!Array.isArray(attributes)) throw new Error(`${path}: ${where} attributes is not a list.`);
    return {
      name,
      description: String(optionalField(entry, 'description') ?? ''),
      unit: String(optionalField(entry, 'unit') ?? ''),
      spanName: condition.spanName,
      requiredAttributes: condition.requiredAttributes,
      attributes: attributes.map((attribute: unknown) => ({
        key: String(field(attribute, 'key', path)),
        optional: optionalField(attribute, 'optional') === true,
        defaultValue: optionalField(attribute, 'default_value') as string | number | boolean | undefined,
      })),
      valueAttribute: parseValue(String(field(body, 'value', path)), where, path),
      kind,
      bounds: bounds.map(Number),
    };
  });
}

// The history path evaluates only this OTTL form:
//   span.name == "<name>" and span.attributes["<key>"] != nil [and ...]
// Any other condition is rejected, so that a change to the collector file cannot be
// silently misread.
function parseCondition(condition: string, where: string, path: string): { spanName: string; requiredAttributes: string[] } {
  const parts = condition.split(/\s+and\s+/).map((part) => part.trim());
  let spanName: string | undefined;
  const requiredAttributes: string[] = [];
  for (const part of parts) {
    const name = /^span\.name\s*==\s*"([^"]+)"$/.exec(part);
    const present = /^span\.attributes\["([^"]+)"\]\s*!=\s*nil$/.exec(part);
    if (name) spanName = name[1];
    else if (present) requiredAttributes.push(present[1]!);
    else throw new Error(`${path}: ${where} has the condition ${JSON.stringify(condition)}, but the history path understands only span.name == "..." and span.attributes["..."] != nil joined by and.`);
  }
  if (spanName === undefined) throw new Error(`${path}: ${where} has no span.name == "..." in its condition ${JSON.stringify(condition)}.`);
  return { spanName, requiredAttributes };
}

function parseValue(value: string, where: string, path: string): string {
  const match = /^(?:Double|Int)\(span\.attributes\["([^"]+)"\]\)$/.exec(value.trim()) ?? /^span\.attributes\["([^"]+)"\]$/.exec(value.trim());
  if (!match) throw new Error(`${path}: ${where} has the value ${JSON.stringify(value)}, but the history path understands only Double(span.attributes["..."]).`);
  return match[1]!;
}

function dimensionNames(list: unknown, name: string, path: string): string[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`${path}: ${name} is not a list.`);
  return list.map((entry: unknown) => {
    if (optionalField(entry, 'default') !== undefined) {
      throw new Error(`${path}: ${name} entry ${JSON.stringify(entry)} has a default, which the history path does not support.`);
    }
    return String(field(entry, 'name', path));
  });
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a collector duration such as `60s` or `1h30m` to `unit`. */
export function durationIn(value: unknown, unit: 's' | 'ms', path: string): number {
  const text = String(value).trim();
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`${path}: invalid duration ${JSON.stringify(text)} in span_metrics histogram buckets; expected a Go duration such as 60s.`);
  }
  const milliseconds = parts.reduce((total, part) => total + Number(part[1]) * DURATION_UNITS[part[2]!]!, 0);
  return unit === 's' ? milliseconds / 1000 : milliseconds;
}

function field(object: unknown, key: string, path: string): unknown {
  const value = optionalField(object, key);
  if (value === undefined) throw new Error(`${path}: missing ${key} in the collector configuration.`);
  return value;
}

function optionalField(object: unknown, key: string): unknown {
  if (object === null || typeof object !== 'object') return undefined;
  return (object as Record<string, unknown>)[key] ?? undefined;
}
