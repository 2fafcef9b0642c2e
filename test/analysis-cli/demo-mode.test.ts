import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { localStackAvailability } from '../../cli/analysis/embedded-demo.js';
import { runDemoCommand } from '../../cli/commands/demo.js';
import { captureOutput } from '../cli/capture-output.js';

const dir = mkdtempSync(join(tmpdir(), 'demo-mode-'));
const NO_GO_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plannedBinary(script: string, env: NodeJS.ProcessEnv): string {
  const output = /^output=(.*)$/m.exec(execFileSync('bash', [script, '--plan'], { env, encoding: 'utf8' }))![1]!.trim();
  return script.startsWith('prometheus') ? join(output, 'prometheus') : output;
}

describe('localStackAvailability', () => {
  it('rejects an empty cache without Go', async () => {
    const env = { PATH: NO_GO_PATH, FACTORY_TELEMETRY_CACHE: join(dir, 'empty') };
    expect(await localStackAvailability(env)).toEqual({
      available: false,
      reason: 'no Go toolchain on the PATH and no cached collector and Prometheus binaries',
    });
  });

  it('accepts cached binaries without Go', async () => {
    const env = { PATH: NO_GO_PATH, FACTORY_TELEMETRY_CACHE: join(dir, 'cache') };
    for (const script of ['collector/build.sh', 'prometheus/build.sh']) {
      const binary = plannedBinary(script, env);
      mkdirSync(dirname(binary), { recursive: true });
      writeFileSync(binary, '#!/bin/sh\n');
      chmodSync(binary, 0o755);
    }
    expect(await localStackAvailability(env)).toEqual({ available: true });
  });

  it('accepts Go on the PATH', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'go'), '#!/bin/sh\n');
    chmodSync(join(bin, 'go'), 0o755);
    const env = { PATH: `${bin}:${NO_GO_PATH}`, FACTORY_TELEMETRY_CACHE: join(dir, 'empty') };
    expect(await localStackAvailability(env)).toEqual({ available: true });
  });
});

describe('demo path flags', () => {
  it('rejects --embedded with --stack', async () => {
    const output = captureOutput();
    const code = await runDemoCommand(['--embedded', '--stack']);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(output.stderr()).toContain('give either --embedded or --stack, not both');
  });

  it('checks the seed on the embedded path', async () => {
    const output = captureOutput();
    const code = await runDemoCommand(['--embedded', '--seed', 'x']);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(output.stderr()).toContain('invalid --seed "x"');
  });
});
