import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BridgeOptions } from '../../bridge/index.js';
import { parseBridgeArgs } from '../../cli/commands/bridge.js';

const scratch = mkdtempSync(join(tmpdir(), 'bridge-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const secretFile = join(scratch, 'secret');
writeFileSync(secretFile, 'a-secret-of-sufficient-length\n');

describe('parseBridgeArgs', () => {
  it('reads flags, with lists and units converted', () => {
    const options = parseBridgeArgs(
      ['--port', '9001', '--secret-file', secretFile, '--db', 'x.db', '--agent-login', 'bot-a,bot-b', '--agent-login', 'bot-c', '--settle-seconds', '2', '--idle-days', '1', '--no-verification-spans'],
      {},
    ) as BridgeOptions;
    expect(options.port).toBe(9001);
    expect(options.secret).toBe('a-secret-of-sufficient-length');
    expect(options.database).toBe('x.db');
    expect(options.agentLogins).toEqual(['bot-a', 'bot-b', 'bot-c']);
    expect(options.settleMillis).toBe(2000);
    expect(options.idleMillis).toBe(24 * 3600_000);
    expect(options.recordVerifications).toBe(false);
  });

  it('falls back to FACTORY_BRIDGE_* variables, flags winning', () => {
    const env = { FACTORY_BRIDGE_SECRET: 'another-secret-long-enough', FACTORY_BRIDGE_PORT: '9100', FACTORY_BRIDGE_PRODUCTION_ENVIRONMENTS: 'prod-eu, prod-us' };
    const options = parseBridgeArgs(['--port', '9200'], env) as BridgeOptions;
    expect(options.port).toBe(9200);
    expect(options.secret).toBe('another-secret-long-enough');
    expect(options.productionEnvironments).toEqual(['prod-eu', 'prod-us']);
    expect(options.database).toBe('factory-bridge.db');
  });

  it('names a missing or short secret without printing it', () => {
    expect(parseBridgeArgs([], {})).toMatch(/missing --secret-file/);
    const short = parseBridgeArgs([], { FACTORY_BRIDGE_SECRET: 'tiny-secret' });
    expect(short).toMatch(/has 11 characters; expected at least 16/);
    expect(short).not.toContain('tiny-secret');
    expect(parseBridgeArgs(['--secret-file', join(scratch, 'absent')], {})).toMatch(/cannot read the secret file .*absent: ENOENT/);
  });

  it('rejects an invalid number with the flag and the value', () => {
    expect(parseBridgeArgs(['--secret-file', secretFile, '--max-body-bytes', 'lots'], {})).toMatch(/invalid --max-body-bytes \(FACTORY_BRIDGE_MAX_BODY_BYTES\) "lots"/);
    expect(parseBridgeArgs(['--secret-file', secretFile, '--log-level', 'loud'], {})).toMatch(/invalid --log-level "loud"/);
    expect(parseBridgeArgs(['--unknown'], {})).toMatch(/Unknown option '--unknown'/);
  });
});
