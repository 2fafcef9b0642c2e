import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { renderHtmlReport, type HtmlReportData, type Proportion } from '../../cli/report/html.js';
import { launchChromium } from '../browser.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

function proportion(successes: number, total: number): Proportion {
  // The page only draws the interval it is given; these are rough bounds for the picture.
  const rate = total === 0 ? 0 : successes / total;
  const half = total === 0 ? 0 : 1.96 * Math.sqrt((rate * (1 - rate)) / total);
  return { successes, total, rate, lower: Math.max(0, rate - half), upper: Math.min(1, rate + half) };
}

const DATA: HtmlReportData = {
  title: 'Factory report <script>alert(1)</script>',
  source: 'embedded store factory.jsonl',
  generatedAt: new Date('2026-12-04T12:00:00Z'),
  funnel: [
    { stage: 'Change identity', runs: 1000 },
    { stage: 'AI execution', runs: 990 },
    { stage: 'Verification passed', runs: 610 },
    { stage: 'Merged', runs: 520 },
    { stage: 'Deployed', runs: 500 },
  ],
  metrics: [
    { name: 'One-shot success', kind: 'ratio', value: 0.42, lower: 0.39, upper: 0.45, runs: 1000 },
    { name: 'Eventual autonomous success', kind: 'ratio', value: 0.5, lower: 0.47, upper: 0.53, runs: 1000 },
    { name: 'Cycle time p50', kind: 'duration', value: 30 * 3600, runs: 520 },
    { name: 'MLTC p50', kind: 'duration', value: undefined, runs: 0 },
  ],
  weekly: [
    { week: '2026-11-02', oneShot: proportion(40, 100), autonomous: proportion(50, 100), cycleTimeP50Seconds: 20 * 3600, mltcP50Seconds: 30 * 3600 },
    { week: '2026-11-09', oneShot: undefined, autonomous: undefined, cycleTimeP50Seconds: undefined, mltcP50Seconds: undefined },
    { week: '2026-11-16', oneShot: proportion(45, 100), autonomous: proportion(55, 100), cycleTimeP50Seconds: 40 * 3600, mltcP50Seconds: 31 * 3600 },
  ],
  experiments: [{ name: 'initiative-specs', arms: [{ arm: 'control', ...proportion(31, 100) }, { arm: 'enriched', ...proportion(52, 100) }], verdict: 'Enriched context lifted one-shot success.' }],
  models: [
    { complexity: 'standard', model: 'frontier', ...proportion(63, 100) },
    { complexity: 'standard', model: 'open-weight', ...proportion(59, 100) },
    { complexity: 'complex', model: 'frontier', ...proportion(50, 80) },
  ],
};

describe('HTML report in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every section with no console errors and no requests elsewhere', async () => {
    const page = await browser.newPage({ viewport: { width: 820, height: 1200 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.route('**/*', (route) => route.abort());

    await page.setContent(renderHtmlReport(DATA), { waitUntil: 'load' });

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    // The title is text, not markup: the injected script never ran or rendered.
    expect(await page.locator('h1').textContent()).toBe('Factory report <script>alert(1)</script>');
    expect(await page.locator('h2').allTextContents()).toEqual([
      'Funnel',
      'The four metrics',
      'Success by week',
      'Cycle time and MLTC by week',
      'Experiment initiative-specs',
      'Models by complexity',
    ]);
    expect(await page.locator('svg circle').count()).toBeGreaterThan(8);
    expect(await page.locator('td', { hasText: 'no data' }).count()).toBe(1);
    // Every chart has a drawn size: none collapsed to nothing.
    const boxes = await page.locator('svg').evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().height));
    expect(boxes.every((height) => height > 10)).toBe(true);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'html-report.png'), await page.screenshot({ fullPage: true }));
    await page.close();
  });
});
