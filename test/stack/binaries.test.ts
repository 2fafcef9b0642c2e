import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ensureBinaries, formatElapsed } from '../../cli/stack/binaries.js';

const scratch = mkdtempSync(join(tmpdir(), 'stack-binaries-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a build script that plans `output`, sleeps `seconds` and then creates the executable. */
function writeBuildScript(path: string, output: string, executable: string, seconds: number): void {
  writeFileSync(
    path,
    [
      '#!/usr/bin/env bash',
      'set -euo pipefail',
      `if [[ "\${1:-}" == --plan ]]; then echo version=1.2.3; echo output=${output}; exit 0; fi`,
      `sleep ${seconds}`,
      `mkdir -p "$(dirname ${executable})"`,
      `printf '#!/bin/sh\\n' > ${executable}`,
      `chmod +x ${executable}`,
      `echo ${output}`,
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
}

function fakeRepo(seconds: number): string {
  const root = mkdtempSync(join(scratch, 'repo-'));
  mkdirSync(join(root, 'collector'));
  mkdirSync(join(root, 'prometheus'));
  const collector = join(root, 'cache', 'otelcol-factory');
  const prometheusDir = join(root, 'cache', 'prometheus-1.2.3');
  writeBuildScript(join(root, 'collector', 'build.sh'), collector, collector, seconds);
  writeBuildScript(join(root, 'prometheus', 'build.sh'), prometheusDir, join(prometheusDir, 'prometheus'), seconds);
  return root;
}

describe('ensureBinaries', () => {
  it('announces each build once and reports progress while it runs', async () => {
    const root = fakeRepo(0.5);
    const messages: string[] = [];

    const binaries = await ensureBinaries(root, process.env, (message) => messages.push(message), 100);

    expect(binaries.collector).toBe(join(root, 'cache', 'otelcol-factory'));
    expect(binaries.prometheus).toBe(join(root, 'cache', 'prometheus-1.2.3', 'prometheus'));
    expect(messages.filter((message) => message.startsWith('Building the collector 1.2.3 '))).toHaveLength(1);
    expect(messages.filter((message) => message.startsWith('Building Prometheus 1.2.3 '))).toHaveLength(1);
    // The real build scripts print how long a first build takes; the log must not repeat it.
    expect(messages.filter((message) => message.includes('first build takes'))).toEqual([]);
    expect(messages.some((message) => /^still building the collector \(\d s\)$/.test(message))).toBe(true);
    expect(messages.some((message) => /^still building Prometheus \(\d s\)$/.test(message))).toBe(true);
  });

  it('builds nothing and logs nothing when both binaries exist', async () => {
    const root = fakeRepo(0);
    await ensureBinaries(root, process.env, () => {}, 100);
    const messages: string[] = [];

    await ensureBinaries(root, process.env, (message) => messages.push(message), 100);

    expect(messages).toEqual([]);
  });

  it('stops reporting progress after a failed build', async () => {
    const root = fakeRepo(0);
    writeFileSync(join(root, 'collector', 'build.sh'), '#!/usr/bin/env bash\n[[ "${1:-}" == --plan ]] && { echo output=/nonexistent/x; exit 0; }\nexit 3\n');
    const messages: string[] = [];

    await expect(ensureBinaries(root, process.env, (message) => messages.push(message), 50)).rejects.toThrow('failed with exit code 3');
    const count = messages.length;
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(messages).toHaveLength(count);
  });
});

describe('formatElapsed', () => {
  it.each([
    [0, '0 s'],
    [30_000, '30 s'],
    [60_000, '1 min'],
    [90_000, '1 min 30 s'],
    [120_400, '2 min'],
  ])('formats %i ms as %s', (milliseconds, text) => {
    expect(formatElapsed(milliseconds)).toBe(text);
  });
});
