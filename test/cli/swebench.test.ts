import { describe, expect, it } from 'vitest';
import { DIFFICULTY_TO_COMPLEXITY, parseSwebenchCsv, resolvedShares } from '../../cli/import/swebench.js';

const HEADER = 'board,folder,model,instance_id,resolved,cost,api_calls,difficulty';

describe('parseSwebenchCsv', () => {
  it('maps a row onto a run', () => {
    const { runs, rejected } = parseSwebenchCsv(`${HEADER}\nbash-only,sub-1,model-a,astropy__astropy-12907,True,0.25,14,15 min - 1 hour\n`);
    expect(rejected).toEqual([]);
    expect(runs).toEqual([
      {
        runId: 'swebench/sub-1/astropy__astropy-12907',
        model: 'model-a',
        repository: 'astropy/astropy',
        changeId: '12907',
        complexity: 'standard',
        resolved: true,
        costUsd: 0.25,
        apiCalls: 14,
      },
    ]);
  });

  it('maps every difficulty label onto the complexity scale', () => {
    expect(DIFFICULTY_TO_COMPLEXITY).toEqual({
      '<15 min fix': 'trivial',
      '15 min - 1 hour': 'standard',
      '1-4 hours': 'complex',
      '>4 hours': 'architectural',
    });
  });

  it('handles repository names with dashes and dots', () => {
    const { runs } = parseSwebenchCsv(`${HEADER}\nb,f,m,scikit-learn__scikit-learn-10297,False,,,>4 hours\n`);
    expect(runs[0]!.repository).toBe('scikit-learn/scikit-learn');
    expect(runs[0]!.changeId).toBe('10297');
    expect(runs[0]!.costUsd).toBeUndefined();
    expect(runs[0]!.complexity).toBe('architectural');
  });

  it('rejects rows with unknown values and names the line', () => {
    const text = [
      HEADER,
      'b,f,m,a__b-1,True,0.1,1,about a day',
      'b,f,m,a__b-2,maybe,0.1,1,<15 min fix',
      'b,f,m,no-number,True,0.1,1,<15 min fix',
      'b,f,m,a__b-3,False,0.1,1,1-4 hours',
    ].join('\n');
    const { runs, rejected } = parseSwebenchCsv(text);
    expect(runs.map((run) => run.changeId)).toEqual(['3']);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]).toContain('line 2: unknown difficulty "about a day"');
    expect(rejected[1]).toContain('line 3: invalid resolved "maybe"');
    expect(rejected[2]).toContain('line 4: invalid instance_id "no-number"');
  });

  it('accepts a UTF-8 byte order mark', () => {
    const { runs, rejected } = parseSwebenchCsv(`\uFEFF${HEADER}\nb,f,m,a__b-1,True,,,<15 min fix\n`);
    expect(rejected).toEqual([]);
    expect(runs.map((run) => run.runId)).toEqual(['swebench/f/a__b-1']);
  });

  it.each([
    ['CRLF', '\r\n', '\r\n'],
    ['LF', '\n', '\n'],
    ['a CRLF header with LF rows', '\r\n', '\n'],
    ['an LF header with CRLF rows', '\n', '\r\n'],
  ])('accepts line endings: %s', (_, afterHeader, afterRow) => {
    const text = `${HEADER}${afterHeader}b,f,m,a__b-1,True,,,<15 min fix${afterRow}b,f,m,a__b-2,False,,,>4 hours${afterRow}`;
    const { runs, rejected } = parseSwebenchCsv(text);
    expect(rejected).toEqual([]);
    expect(runs.map((run) => run.changeId)).toEqual(['1', '2']);
    expect(runs[1]!.complexity).toBe('architectural');
  });

  it('rejects a row with the wrong number of fields and keeps the others', () => {
    const text = [
      HEADER,
      'b,f,m,a__b-1,True,,,<15 min fix',
      'b,f,m,a__b-2,True,,<15 min fix',
      'b,f,m,a__b-3,True,,,<15 min fix,extra',
      'b,f,m,a__b-4,False,,,1-4 hours',
    ].join('\n');
    const { runs, rejected, rows } = parseSwebenchCsv(text);
    expect(runs.map((run) => run.changeId)).toEqual(['1', '4']);
    expect(rows).toBe(4);
    expect(rejected).toEqual([
      'line 3: expected 8 fields as in the header, found 7',
      'line 4: expected 8 fields as in the header, found 9',
    ]);
  });

  it('counts empty lines in line numbers', () => {
    const { rejected } = parseSwebenchCsv(`${HEADER}\n\nb,f,m,a__b-1,maybe,,,<15 min fix\n`);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain('line 3: invalid resolved "maybe"');
  });

  it.each([
    ['an empty file', ''],
    ['a header-only file', `${HEADER}\n`],
    ['a header-only file with a BOM and CRLF', `\uFEFF${HEADER}\r\n`],
  ])('reports no rows for %s', (_, text) => {
    expect(parseSwebenchCsv(text)).toEqual({ runs: [], rejected: [], rows: 0 });
  });

  it('rejects model names that the SDK would reject', () => {
    const long = 'm'.repeat(257);
    const text = [
      HEADER,
      'b,f,,a__b-1,True,,,<15 min fix',
      'b,f,"bad\u0007model",a__b-2,True,,,<15 min fix',
      `b,f,${long},a__b-3,True,,,<15 min fix`,
      `b,f,${'m'.repeat(256)},a__b-4,True,,,<15 min fix`,
    ].join('\n');
    const { runs, rejected } = parseSwebenchCsv(text);
    expect(runs.map((run) => run.changeId)).toEqual(['4']);
    expect(rejected).toHaveLength(3);
    expect(rejected[0]).toBe('line 2: empty model');
    expect(rejected[1]).toBe('line 3: invalid model "bad\\u0007model": expected no control characters');
    expect(rejected[2]).toBe('line 4: invalid model: 257 characters, expected at most 256');
  });

  it('rejects a run id that is longer than the SDK accepts', () => {
    const { runs, rejected } = parseSwebenchCsv(`${HEADER}\nb,${'f'.repeat(250)},m,a__b-1,True,,,<15 min fix\n`);
    expect(runs).toEqual([]);
    expect(rejected).toEqual(['line 2: invalid run id (from folder and instance_id): 266 characters, expected at most 256']);
  });

  it('rejects a repeated folder and instance_id, naming the first line', () => {
    const text = [
      HEADER,
      'b,f,m,a__b-1,True,,,<15 min fix',
      'b,g,m,a__b-1,True,,,<15 min fix',
      'b,f,m,a__b-1,False,,,<15 min fix',
      'b,f,m,a__b-1,True,,,<15 min fix',
    ].join('\n');
    const { runs, rejected } = parseSwebenchCsv(text);
    expect(runs.map((run) => run.runId)).toEqual(['swebench/f/a__b-1', 'swebench/g/a__b-1']);
    expect(runs[0]!.resolved).toBe(true);
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toContain('line 4: duplicate run swebench/f/a__b-1');
    expect(rejected[0]).toContain('as line 2');
    expect(rejected[1]).toContain('line 5: duplicate run swebench/f/a__b-1');
    expect(rejected[1]).toContain('as line 2');
  });

  it('fails on a missing column', () => {
    expect(() => parseSwebenchCsv('model,resolved\nm,True\n')).toThrow(/no column board, folder, instance_id, cost, api_calls, difficulty/);
  });
});

describe('resolvedShares', () => {
  it('counts resolved runs per model and complexity', () => {
    const { runs } = parseSwebenchCsv(
      [HEADER, 'b,f,m,a__b-1,True,,,<15 min fix', 'b,f,m,a__b-2,False,,,<15 min fix', 'b,g,n,a__b-1,True,,,<15 min fix'].join('\n'),
    );
    const shares = [...resolvedShares(runs).values()];
    expect(shares).toEqual([
      { model: 'm', complexity: 'trivial', resolved: 1, total: 2 },
      { model: 'n', complexity: 'trivial', resolved: 1, total: 1 },
    ]);
  });
});
