import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TASK_COMPLEXITIES, type TaskComplexity } from '../../sdk/semconv.js';

/**
 * The scenario file of `factory-telemetry simulate`: who works in the factory,
 * how often runs start, and how attempts, reviews and deployments behave, with
 * rules that change the behaviour by team, repository, model, complexity,
 * experiment arm and time. docs/simulator.md describes every field.
 */

/** Failure classes that CI output can produce; the reviewer's classes come from review. */
export const CI_FAILURE_CLASSES = ['compile_error', 'test_failure', 'lint', 'timeout', 'infrastructure', 'other'] as const;
/** Failure classes that a reviewer gives to a pull request that passed CI. */
export const REVIEW_FAILURE_CLASSES = ['requirements_gap', 'review_rejected', 'merge_conflict', 'other'] as const;

const probability = z.number().min(0, 'expected a probability from 0 to 1').max(1, 'expected a probability from 0 to 1');
const positive = z.number().positive('expected a number greater than 0');
const name = z.string().min(1, 'expected a non-empty string').max(256, 'expected at most 256 characters').regex(/^[^\p{Cc}]*$/u, 'expected no control characters');
const share = z.number().positive('expected a share greater than 0').default(1);

// A record of weights whose keys must come from `keys`; zod's partialRecord would drop unknown keys silently.
function mix<K extends string>(keys: readonly [K, ...K[]], what: string) {
  return z
    .record(z.string(), z.number().min(0, 'expected a weight of 0 or more'))
    .superRefine((weights, context) => {
      for (const key of Object.keys(weights)) {
        if (!(keys as readonly string[]).includes(key)) {
          context.addIssue({ code: 'custom', path: [key], message: `unknown ${what} ${JSON.stringify(key)}: expected one of ${keys.join(', ')}` });
        }
      }
      if (!Object.values(weights).some((weight) => weight > 0)) context.addIssue({ code: 'custom', message: 'expected at least one weight greater than 0' });
    })
    .transform((weights) => weights as Partial<Record<K, number>>);
}

/**
 * A point in time: week N of the simulated range (the first week is 1, so 3
 * means the start of the third week), a date (midnight UTC) or a date-time with
 * a time zone.
 */
const when = z.union([z.number().int('expected a whole week number').min(1, 'expected week 1 or later'), z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected a week number (1 is the first week), a date such as 2026-11-16, or a date-time such as 2026-11-16T09:00:00Z',
});

/** Per-run behaviour fields; every one is optional here, and BEHAVIOUR_DEFAULTS fills the gaps. */
const behaviourFields = z.object({
  /** Maximum AI attempts per run, the first one included. */
  maxAttempts: z.number().int('expected a whole number').min(1, 'expected 1 or more').max(20, 'expected at most 20').optional(),
  /** Probability that the first attempt passes CI. */
  pass: probability.optional(),
  /** Probability that a retry which does not repeat the previous failure passes CI. Default: `pass`. */
  retryPass: probability.optional(),
  /** Probability that a failed CI output names what was checked (factory.feedback.specific). */
  feedbackSpecific: probability.optional(),
  /** Probability that a retry fails again with the same failure signature, after a vague CI output. */
  repeatWhenVague: probability.optional(),
  /** The same probability after a specific CI output. */
  repeatWhenSpecific: probability.optional(),
  /** Weights of the failure classes of failed CI runs. */
  failureClasses: mix(CI_FAILURE_CLASSES, 'CI failure class').optional(),
  /** Probability that the reviewer finds a problem in a pull request that passed CI. */
  reviewFailure: probability.optional(),
  /** Weights of the classes the reviewer gives such a problem. */
  reviewFailureClasses: mix(REVIEW_FAILURE_CLASSES, 'review failure class').optional(),
  /** Probability that a human changes the code of a pull request that passed CI and review. */
  humanModification: probability.optional(),
  /** Probability that a human finishes a run that failed CI on every attempt or failed review; otherwise it is closed. */
  humanTakeover: probability.optional(),
  /** Probability that the harness judges the context complete (factory.context.complete). */
  contextComplete: probability.optional(),
  /** Probability that the context contains the initiative-level spec. */
  initiativeSpec: probability.optional(),
  /** Median hours from pull request opened to merged or closed on the standard review track. */
  reviewHours: positive.optional(),
  /** Median hours on the expedited track. */
  expeditedHours: positive.optional(),
  /** Spread of review times: the standard deviation of their natural logarithm. */
  reviewSpread: z.number().min(0, 'expected 0 or more').max(3, 'expected at most 3').optional(),
  /** Probability that a pull request which passed CI on its last attempt takes the expedited track. */
  expedited: probability.optional(),
  /** Median minutes of one AI attempt. */
  attemptMinutes: positive.optional(),
  /** Median minutes of one CI run. */
  ciMinutes: positive.optional(),
  /** Hours between production deployments; a merged commit waits for the next one. */
  deployEveryHours: positive.optional(),
  /** Probability that a deployment fails, so that the commit ships with the next one. */
  deployFailure: probability.optional(),
}).strict();

/** The behaviour of a run that no field of `behaviour` and no rule sets. */
export const BEHAVIOUR_DEFAULTS: Required<Omit<z.output<typeof behaviourFields>, 'retryPass'>> = {
  maxAttempts: 3,
  pass: 0.5,
  feedbackSpecific: 0.5,
  repeatWhenVague: 0.5,
  repeatWhenSpecific: 0.15,
  failureClasses: { test_failure: 0.55, compile_error: 0.25, lint: 0.1, timeout: 0.05, infrastructure: 0.05 },
  reviewFailure: 0.1,
  reviewFailureClasses: { requirements_gap: 0.6, review_rejected: 0.3, merge_conflict: 0.1 },
  humanModification: 0.1,
  humanTakeover: 0.5,
  contextComplete: 0.8,
  initiativeSpec: 0,
  reviewHours: 12,
  expeditedHours: 2,
  reviewSpread: 0.6,
  expedited: 0,
  attemptMinutes: 12,
  ciMinutes: 8,
  deployEveryHours: 24,
  deployFailure: 0.02,
};

/** Per-run behaviour. Every field has a default, and rules override fields. */
export const behaviourSchema = behaviourFields.transform((given) => {
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return { ...BEHAVIOUR_DEFAULTS, ...defined } as typeof BEHAVIOUR_DEFAULTS & { retryPass?: number };
});

const selector = z.union([name, z.array(name).min(1, 'expected at least one name')]);

const ruleSchema = z
  .object({
    /** Selectors of the runs the rule applies to. Every condition must hold, and times compare with the run's start. */
    when: z
      .object({
        team: selector.optional(),
        repository: selector.optional(),
        model: selector.optional(),
        complexity: z.union([z.enum(TASK_COMPLEXITIES), z.array(z.enum(TASK_COMPLEXITIES)).min(1)]).optional(),
        arm: selector.optional(),
        from: when.optional(),
        until: when.optional(),
      })
      .strict()
      .default({}),
    /** The behaviour fields the rule sets. */
    set: behaviourFields,
    /** Moves the numbers in `set` linearly from their earlier value at `from` to the set value at `to`. */
    ramp: z.object({ from: when, to: when }).strict().optional(),
  })
  .strict();

const repositorySchema = z.object({
  name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name, e.g. acme/payments'),
  share,
}).strict();

const expectationSchema = z
  .object({
    /** The finding in words, for readers and test messages. */
    finding: z.string().min(1),
    metric: z.enum(['oneShot', 'autonomous', 'repeatedRetries', 'missClassShare', 'cycleTimeP50Hours', 'mltcP50Hours']),
    /** Selectors of the runs measured, as in a rule's `when`, applied to the run's start time. */
    where: z
      .object({ team: selector.optional(), repository: selector.optional(), model: selector.optional(), complexity: z.enum(TASK_COMPLEXITIES).optional(), arm: selector.optional(), from: when.optional(), until: when.optional() })
      .strict()
      .default({}),
    /** For missClassShare: the failure class whose share among the misses is expected. */
    failureClass: z.string().optional(),
    value: z.number(),
    /** Allowed difference for medians; ratios use four binomial standard errors instead. */
    tolerance: z.number().positive().optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    /** Short name, used as the prefix of run ids; letters, digits and dashes. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected lowercase letters, digits and dashes, at most 64, e.g. context-experiment'),
    description: z.string().optional(),
    /** Length of the simulated range in weeks, ending at --end; --weeks overrides it. */
    weeks: z.number().int('expected a whole number of weeks').min(1, 'expected 1 or more').max(104, 'expected at most 104').default(4),
    /** Runs that start per week, spread evenly at random over the range. */
    runsPerWeek: z.number().int('expected a whole number').min(1, 'expected 1 or more').max(100_000, 'expected at most 100000'),
    teams: z
      .array(z.object({ name, share, repositories: z.array(repositorySchema).min(1, 'expected at least one repository') }).strict())
      .min(1, 'expected at least one team'),
    models: z.array(z.object({ name, provider: name, share, costPerAttemptUsd: z.number().min(0).default(0.2) }).strict()).min(1, 'expected at least one model'),
    /** Weights of the task complexities. */
    complexity: mix(TASK_COMPLEXITIES as unknown as readonly [TaskComplexity, ...TaskComplexity[]], 'task complexity').default({ trivial: 0.25, standard: 0.45, complex: 0.22, architectural: 0.08 }),
    /** Experiments, each on one repository; its runs get an arm by the planned split. */
    experiments: z
      .array(
        z
          .object({
            name,
            repository: z.string(),
            arms: z.array(z.object({ name, share }).strict()).min(2, 'expected at least two arms'),
          })
          .strict(),
      )
      .default([]),
    behaviour: behaviourSchema.default(BEHAVIOUR_DEFAULTS),
    rules: z.array(ruleSchema).default([]),
    /** The scenario's known answers, checked by its tests against the plans. */
    expect: z.array(expectationSchema).default([]),
  })
  .strict()
  .superRefine(checkReferences);

export type Scenario = z.output<typeof scenarioSchema>;
export type Behaviour = z.output<typeof behaviourSchema>;
export type Rule = Scenario['rules'][number];
export type Expectation = Scenario['expect'][number];
/** A point in time as a scenario writes it. */
export type When = z.output<typeof when>;

/** A scenario file that could not be read or is invalid; `message` lists every problem. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Reads and checks a YAML or JSON scenario file. Throws a ScenarioError that names each invalid field. */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(error as Error).message}`);
  }
  return parseScenario(text, path);
}

/** Parses YAML (JSON is YAML too) and checks it against the scenario schema. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ScenarioError(`invalid scenario ${source}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  const result = scenarioSchema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issueMessage(issue, data)}`);
  throw new ScenarioError(`invalid scenario ${source}:\n${lines.join('\n')}\nSee docs/simulator.md for every field.`);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

// zod's message, with the value found at the path so that the reader sees what to change.
function issueMessage(issue: z.core.$ZodIssue, data: unknown): string {
  let value: unknown = data;
  for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; remove it or check its spelling`;
  const found = value === undefined ? 'missing' : `got ${preview(value)}`;
  return `${issue.message} (${found})`;
}

// Names in rules, experiments and expectations must exist, or the rule would silently match nothing.
function checkReferences(scenario: z.output<z.ZodObject<any>>, context: z.RefinementCtx): void {
  const s = scenario as unknown as Scenario;
  const teams = new Set(s.teams.map((team) => team.name));
  const repositories = new Set(s.teams.flatMap((team) => team.repositories.map((repository) => repository.name)));
  const models = new Set(s.models.map((model) => model.name));
  const arms = new Set(s.experiments.flatMap((experiment) => experiment.arms.map((arm) => arm.name)));
  const known: Record<string, Set<string>> = { team: teams, repository: repositories, model: models, arm: arms };

  const check = (values: unknown, kind: string, path: PropertyKey[]) => {
    const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
    list.forEach((value, index) => {
      if (typeof value === 'string' && !known[kind]!.has(value)) {
        const names = [...known[kind]!];
        context.addIssue({
          code: 'custom',
          path: Array.isArray(values) ? [...path, index] : path,
          message: `unknown ${kind} ${JSON.stringify(value)}: expected one of ${names.length === 0 ? `(none; declare the ${kind} first)` : names.map((n) => JSON.stringify(n)).join(', ')}`,
        });
      }
    });
  };

  s.experiments.forEach((experiment, index) => check(experiment.repository, 'repository', ['experiments', index, 'repository']));
  s.rules.forEach((rule, index) => {
    for (const kind of ['team', 'repository', 'model', 'arm'] as const) check(rule.when[kind], kind, ['rules', index, 'when', kind]);
  });
  s.expect.forEach((expectation, index) => {
    for (const kind of ['team', 'repository', 'model', 'arm'] as const) check(expectation.where[kind], kind, ['expect', index, 'where', kind]);
  });

  const duplicates = (values: string[]) => values.filter((value, index) => values.indexOf(value) !== index);
  for (const team of duplicates(s.teams.map((t) => t.name))) context.addIssue({ code: 'custom', path: ['teams'], message: `team ${JSON.stringify(team)} is declared twice; give each team one entry` });
  for (const repository of duplicates(s.teams.flatMap((t) => t.repositories.map((r) => r.name)))) {
    context.addIssue({ code: 'custom', path: ['teams'], message: `repository ${JSON.stringify(repository)} is declared twice; a repository belongs to one team` });
  }
  for (const model of duplicates(s.models.map((m) => m.name))) context.addIssue({ code: 'custom', path: ['models'], message: `model ${JSON.stringify(model)} is declared twice; give each model one entry` });
}

// A whole file read as one string (a binary or a plain text file) would fill the terminal.
const MAX_PREVIEW_CHARS = 80;

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_PREVIEW_CHARS ? text : `${text.slice(0, MAX_PREVIEW_CHARS)}… (${text.length} characters)`;
}
