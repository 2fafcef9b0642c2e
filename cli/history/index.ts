/**
 * History: gives Prometheus weeks of past factory data from spans recorded now, with
 * the same series the live collector writes. docs/history.md explains how.
 */
export { createHistoryRecorder } from './recorder.js';
export type { HistoryRecorder, HistoryRecorderOptions, HistoryResult } from './recorder.js';
export { evaluateAlertOverHistory } from './alerts.js';
export type { AlertHistory, AlertHistoryOptions } from './alerts.js';
export { HistoryAggregator } from './aggregator.js';
export { readConnectorDefinitions } from './collector-config.js';
export type { ConnectorDefinitions } from './collector-config.js';
export { prometheusDurationMs, readRuleFiles, recordingRuleLevels } from './rule-levels.js';
export type { RuleDefinition } from './rule-levels.js';
export { localStackHistoryOptions, parseHistoryArgs, runHistoryCommand } from './command.js';
