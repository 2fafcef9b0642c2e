import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemoCommand } from '../../cli/commands/demo.js';
import { launchChromium } from '../browser.js';
import { captureOutput } from '../cli/capture-output.js';

/**
 * `npm run demo` on a machine with only Node: no `go` on the PATH and an
 * empty binary cache, so the demo must take the embedded path by itself.
 */

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

function pathWithoutGo(path: string): string {
  return path
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, 'go'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

describe('embedded demo', () => {
  let dir: string;
  let cwd: string;
  let code: number;
  let stdout: string;
  let stderr: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'embedded-demo-'));
    mkdirSync(join(dir, 'empty-cache'));
    cwd = process.cwd();
    process.chdir(dir);
    vi.stubEnv('PATH', pathWithoutGo(process.env.PATH ?? ''));
    vi.stubEnv('FACTORY_TELEMETRY_CACHE', join(dir, 'empty-cache'));
    const output = captureOutput();
    try {
      code = await runDemoCommand([]);
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
      process.chdir(cwd);
    }
    stdout = output.stdout();
    stderr = output.stderr();
    browser = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the embedded path without Go', () => {
    expect(code).toBe(0);
    expect(stderr).toContain('demo path: embedded, no servers (no Go toolchain on the PATH and no cached collector and Prometheus binaries)');
  });

  it('prints the report in the terminal', () => {
    expect(stdout).toContain('Funnel (resolved runs, each stage a subset of the one before)');
    expect(stdout).toMatch(/one-shot success\s+\d+\.\d%\s+\d+\.\d% to \d+\.\d%/);
    // The context experiment's known answer: enriched context lifts one-shot success from about 31% to 52%.
    expect(stdout).toContain('enriched has a higher one-shot success than control');
    expect(stdout).toContain('Route by complexity:');
  });

  it('writes the file and the HTML report', () => {
    expect(existsSync(join(dir, '.demo', 'factory.jsonl'))).toBe(true);
    expect(readFileSync(join(dir, '.demo', 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('renders the report in Chromium with no console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 820, height: 1200 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.route('**/*', (route) => route.abort());

    await page.setContent(readFileSync(join(dir, '.demo', 'report.html'), 'utf8'), { waitUntil: 'load' });

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(await page.locator('h2').allTextContents()).toEqual([
      'Funnel',
      'The four metrics',
      'Success by week',
      'Cycle time and MLTC by week',
      'Experiment initiative-spec-context',
      'Models by complexity',
    ]);
    // 12 weeks of the longest scenario: at least 12 weekly points on each of the two success lines.
    expect(await page.locator('svg circle').count()).toBeGreaterThanOrEqual(24);
    expect(await page.locator('td', { hasText: 'no data' }).count()).toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'embedded-demo-report.png'), await page.screenshot({ fullPage: true }));
    await page.close();
  });
});
