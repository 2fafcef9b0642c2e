import { createServer } from 'node:net';

/** The local stack's TCP ports, all bound on 127.0.0.1. */
export interface StackPorts {
  otlpHttp: number;
  otlpGrpc: number;
  health: number;
  collectorTelemetry: number;
  prometheus: number;
}

export type PortName = keyof StackPorts;

interface PortSpec {
  defaultPort: number;
  envVar: string;
  description: string;
}

/** Default, environment variable and description of each port. */
export const PORT_SPECS: Readonly<Record<PortName, PortSpec>> = {
  otlpHttp: {
    defaultPort: 14318,
    envVar: 'FACTORY_STACK_OTLP_HTTP_PORT',
    description: 'collector OTLP/HTTP receiver',
  },
  otlpGrpc: {
    defaultPort: 14317,
    envVar: 'FACTORY_STACK_OTLP_GRPC_PORT',
    description: 'collector OTLP/gRPC receiver',
  },
  health: {
    defaultPort: 14133,
    envVar: 'FACTORY_STACK_HEALTH_PORT',
    description: 'collector health check',
  },
  collectorTelemetry: {
    defaultPort: 14888,
    envVar: 'FACTORY_STACK_COLLECTOR_TELEMETRY_PORT',
    description: "collector's own metrics",
  },
  prometheus: {
    defaultPort: 19090,
    envVar: 'FACTORY_STACK_PROMETHEUS_PORT',
    description: 'Prometheus HTTP API and OTLP receiver',
  },
};

export const PORT_NAMES = Object.keys(PORT_SPECS) as PortName[];

/** Parses a decimal TCP port from 1 to 65535. `source` names the option or variable in the error. */
export function parsePort(value: string, source: string): number {
  const trimmed = value.trim();
  const port = Number(trimmed);
  if (!/^[0-9]+$/.test(trimmed) || port < 1 || port > 65535) {
    throw new Error(`Invalid port "${value}" in ${source}: expected an integer from 1 to 65535.`);
  }
  return port;
}

/**
 * Resolves every port from, in order of precedence, `overrides`, the environment
 * variable in PORT_SPECS, and the default. Throws if a value is invalid or if two
 * ports are equal.
 */
export function resolvePorts(
  overrides: Partial<StackPorts> | undefined,
  env: NodeJS.ProcessEnv,
): StackPorts {
  const ports = {} as StackPorts;
  for (const name of PORT_NAMES) {
    const spec = PORT_SPECS[name];
    const override = overrides?.[name];
    const fromEnv = env[spec.envVar];
    if (override !== undefined) {
      ports[name] = parsePort(String(override), `option ports.${name}`);
    } else if (fromEnv !== undefined && fromEnv.trim() !== '') {
      ports[name] = parsePort(fromEnv, spec.envVar);
    } else {
      ports[name] = spec.defaultPort;
    }
  }

  const owners = new Map<number, PortName>();
  for (const name of PORT_NAMES) {
    const other = owners.get(ports[name]);
    if (other !== undefined) {
      throw new Error(
        `Port ${ports[name]} is set for both the ${PORT_SPECS[other].description} (${PORT_SPECS[other].envVar}) ` +
          `and the ${PORT_SPECS[name].description} (${PORT_SPECS[name].envVar}); each port must be different.`,
      );
    }
    owners.set(ports[name], name);
  }
  return ports;
}

/** Resolves to undefined if 127.0.0.1:`port` can be bound now, or else to the bind error code. */
export function probePort(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(undefined));
    });
  });
}

/** Throws, naming the port and its environment variable, unless every port is free. */
export async function assertPortsFree(ports: StackPorts): Promise<void> {
  for (const name of PORT_NAMES) {
    const code = await probePort(ports[name]);
    if (code === undefined) continue;

    const spec = PORT_SPECS[name];
    const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code})`;
    throw new Error(
      `Port ${ports[name]} on 127.0.0.1 (${spec.description}) ${reason}. ` +
        `Stop whatever uses it, or set ${spec.envVar} to a free port.`,
    );
  }
}
