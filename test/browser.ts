import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core. Playwright's own browser
 * downloads are not used: the machines that run the tests reach Debian's
 * package mirror but not Playwright's download host.
 */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Returns a headless Chromium. When the package is missing it installs it with
 * apt-get if the tests run as root (as on CI), and otherwise throws with the
 * command to run. Waits up to 10 minutes for another apt-get to release its lock.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) installChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

function installChromium(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing; install Debian's package with: sudo apt-get install -y chromium`);
  }
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-q'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', [...apt, 'update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', [...apt, 'install', '-y', '--no-install-recommends', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is still missing`);
}
