/**
 * The local stack: the collector and Prometheus as processes on 127.0.0.1, built from
 * Go modules, for the tests and for users without Docker.
 */
export { runStackCommand } from './command.js';
export { getStackStatus, startStack, stopStack } from './stack.js';
export type { ServiceStatus, StackStatus } from './stack.js';
export type { StackOptions } from './options.js';
export type { StackPorts } from './ports.js';
export type { ServiceName, StackInfo } from './state.js';
