#!/usr/bin/env node
// Entry point of the factory-telemetry command. Each subcommand is imported on
// demand, so `stack down` does not load the SDK and `import` does not load the
// stack code.

const USAGE = `Usage: factory-telemetry <command> [options]

Commands:
  stack up|down|status   run the collector and Prometheus as local processes on 127.0.0.1
  demo                   simulate the four scenarios and show what the metrics detect
                         (embedded, no servers, where Go is missing; else the local stack)
  import swebench <csv>  record SWE-bench leaderboard results as runs
  import github <dir>    record a team's past pull requests from saved GitHub API responses
  import aidev <dir>     record pull requests in the AIDev CSV layout
  simulate <scenario>    simulate an AI coding factory from a scenario file
                         (--history 12w: as 12 weeks of past data in the local stack)
  history                write weeks of the demo factory's runs into the local stack
  bridge                 receive GitHub webhooks and CI and deploy events and record them as run stages
  report                 the funnel and the four metrics with 95% intervals, per slice
  experiment <name>      an experiment's arms, differences, power and verdict
  compare                models compared within each complexity, with a routing rule where supported
  loops                  whether retries learn, per team and repository
  cases                  a seeded sample of runs with trace links and attempt chains

Run a command with --help for its options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'stack': {
      const { runStackCommand } = await import('./stack/index.js');
      return runStackCommand(rest);
    }
    case 'demo': {
      const { runDemoCommand } = await import('./commands/demo.js');
      return runDemoCommand(rest);
    }
    case 'import': {
      const { runImportCommand } = await import('./commands/import.js');
      return runImportCommand(rest);
    }
    case 'simulate': {
      const { runSimulateCommand } = await import('./commands/simulate.js');
      return runSimulateCommand(rest);
    }
    case 'history': {
      const { runHistoryCommand } = await import('./history/command.js');
      return runHistoryCommand(rest);
    }
    case 'bridge': {
      const { runBridgeCommand } = await import('./commands/bridge.js');
      return runBridgeCommand(rest);
    }
    case 'report':
    case 'experiment':
    case 'compare':
    case 'loops':
    case 'cases': {
      const { runAnalysisCommand } = await import('./commands/analysis.js');
      return runAnalysisCommand(command, rest);
    }
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(command === undefined ? USAGE : `unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

// A reader that stops early (`| head`) closes stdout. The output it wanted has been
// written, so that is not a failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
