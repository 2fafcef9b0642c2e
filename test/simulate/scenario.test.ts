import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEHAVIOUR_DEFAULTS, loadScenario, parseScenario, ScenarioError } from '../../cli/simulate/scenario.js';

const VALID = `
name: tiny
runsPerWeek: 10
teams:
  - name: web
    repositories: [{ name: acme/web }]
models:
  - { name: model-a, provider: lab-a }
`;

function errorOf(text: string): string {
  try {
    parseScenario(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error('expected parseScenario to throw');
}

describe('parseScenario', () => {
  it('fills the defaults', () => {
    const scenario = parseScenario(VALID);
    expect(scenario.weeks).toBe(4);
    expect(scenario.behaviour).toEqual(BEHAVIOUR_DEFAULTS);
    expect(scenario.teams[0]!.share).toBe(1);
    expect(scenario.models[0]!.costPerAttemptUsd).toBe(0.2);
    expect(scenario.experiments).toEqual([]);
  });

  it('keeps a partial behaviour and fills the rest', () => {
    const scenario = parseScenario(`${VALID}behaviour:\n  pass: 0.9\n`);
    expect(scenario.behaviour.pass).toBe(0.9);
    expect(scenario.behaviour.maxAttempts).toBe(BEHAVIOUR_DEFAULTS.maxAttempts);
  });

  it('leaves a rule set without defaults', () => {
    const scenario = parseScenario(`${VALID}rules:\n  - set: { pass: 0.9 }\n`);
    expect(scenario.rules[0]!.set).toEqual({ pass: 0.9 });
  });

  it('reads JSON', () => {
    const json = JSON.stringify({ name: 'json', runsPerWeek: 5, teams: [{ name: 't', repositories: [{ name: 'a/b' }] }], models: [{ name: 'm', provider: 'p' }] });
    expect(parseScenario(json).name).toBe('json');
  });

  it('names the path, value and fix of a bad probability', () => {
    const message = errorOf(`${VALID}behaviour:\n  pass: 1.5\n`);
    expect(message).toContain('invalid scenario test.yaml:');
    expect(message).toContain('behaviour.pass: expected a probability from 0 to 1 (got 1.5)');
  });

  it('names a missing field', () => {
    const message = errorOf(VALID.replace('runsPerWeek: 10\n', ''));
    expect(message).toContain('runsPerWeek:');
    expect(message).toContain('(missing)');
  });

  it('names an unknown field', () => {
    expect(errorOf(`${VALID}behavior:\n  pass: 0.5\n`)).toContain('(top level): unknown field "behavior"; remove it or check its spelling');
  });

  it('names an unknown team in a rule with the known ones', () => {
    expect(errorOf(`${VALID}rules:\n  - when: { team: mobile }\n    set: { pass: 0.1 }\n`)).toContain('rules[0].when.team: unknown team "mobile": expected one of "web"');
  });

  it('names an unknown arm when no experiment declares arms', () => {
    expect(errorOf(`${VALID}rules:\n  - when: { arm: [control] }\n    set: { pass: 0.1 }\n`)).toContain('rules[0].when.arm[0]: unknown arm "control": expected one of (none; declare the arm first)');
  });

  it('names a CI failure class that only review gives', () => {
    const message = errorOf(`${VALID}behaviour:\n  failureClasses: { requirements_gap: 1 }\n`);
    expect(message).toContain('behaviour.failureClasses');
    expect(message).toContain('behaviour.failureClasses.requirements_gap: unknown CI failure class "requirements_gap": expected one of compile_error, test_failure');
  });

  it('names a repository that is not owner/name', () => {
    expect(errorOf(VALID.replace('acme/web', 'web'))).toContain('teams[0].repositories[0].name: expected owner/name, e.g. acme/payments (got "web")');
  });

  it('names a bad time in a ramp', () => {
    expect(errorOf(`${VALID}rules:\n  - ramp: { from: 0, to: next-week }\n    set: { pass: 0.1 }\n`)).toMatch(/rules\[0\]\.ramp\.from: .*week 1 or later.*\(got 0\)/);
  });

  it('names an experiment on an undeclared repository', () => {
    const message = errorOf(`${VALID}experiments:\n  - name: e\n    repository: acme/other\n    arms: [{ name: a }, { name: b }]\n`);
    expect(message).toContain('experiments[0].repository: unknown repository "acme/other": expected one of "acme/web"');
  });

  it('names a repository declared twice', () => {
    const text = VALID.replace('repositories: [{ name: acme/web }]', 'repositories: [{ name: acme/web }, { name: acme/web }]');
    expect(errorOf(text)).toContain('teams: repository "acme/web" is declared twice');
  });

  it('lists every problem at once', () => {
    const message = errorOf(`${VALID}behaviour:\n  pass: -1\n  maxAttempts: 0\n`);
    expect(message).toContain('behaviour.pass');
    expect(message).toContain('behaviour.maxAttempts: expected 1 or more (got 0)');
  });

  it('shortens a long value it quotes', () => {
    const message = errorOf('x'.repeat(5000));
    expect(message).toContain(`(top level): Invalid input: expected object, received string (got "${'x'.repeat(79)}… (5002 characters))`);
    expect(message.length).toBeLessThan(400);
  });

  it('rejects text that is not YAML', () => {
    expect(errorOf('name: [unclosed')).toContain('invalid scenario test.yaml: not valid YAML or JSON');
  });
});

describe('loadScenario', () => {
  it('reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    writeFileSync(join(dir, 's.yaml'), VALID);
    expect(loadScenario(join(dir, 's.yaml')).name).toBe('tiny');
  });

  it('names a missing file', () => {
    expect(() => loadScenario('/nonexistent/s.yaml')).toThrow('cannot read scenario /nonexistent/s.yaml');
  });
});
