import { describe, expect, it } from 'vitest';
import { createLogger } from '../../bridge/index.js';

describe('createLogger', () => {
  it('quotes values so that a payload cannot forge a line', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    log.warn('request rejected', { delivery: 'abc\nlevel=error msg=forged', status: 401 });

    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(2);
    expect(lines[0]).toContain('delivery="abc\\nlevel=error msg=forged" status=401');
  });

  it('drops lines beyond the rate and reports how many', () => {
    const lines: string[] = [];
    const log = createLogger({ maxLinesPerSecond: 3, write: (line) => lines.push(line) });
    for (let index = 0; index < 10; index += 1) log.info('event applied', { index });
    expect(lines).toHaveLength(3);
  });

  it('leaves out levels below the minimum', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    log.info('event applied');
    log.error('request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('level=error');
  });
});
