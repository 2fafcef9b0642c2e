/**
 * The event bridge: turns GitHub webhooks and CI and deploy pipeline events into
 * the review, verification, deployment and outcome stages of runs. docs/bridge.md
 * describes its endpoints, statuses, guarantees and limits.
 */
export { startBridge } from './server.js';
export type { Bridge, BridgeStats } from './server.js';
export { DEFAULTS as BRIDGE_DEFAULTS } from './options.js';
export type { BridgeOptions } from './options.js';
export { createLogger } from './log.js';
export type { Logger, LogFields, LogLevel } from './log.js';
