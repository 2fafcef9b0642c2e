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

  it('fails on a missing column', () => {
    expect(() => parseSwebenchCsv('model,resolved\nm,True\n')).toThrow(/no column board, folder, instance_id, cost, api_calls, difficulty/);
  });
});

describe('resolvedShares', () => {
  it('counts resolved runs per model and complexity', () => {
    const { runs } = parseSwebenchCsv(
      [HEADER, 'b,f,m,a__b-1,True,,,<15 min fix', 'b,f,m,a__b-2,False,,,<15 min fix', 'b,f,n,a__b-1,True,,,<15 min fix'].join('\n'),
    );
    const shares = [...resolvedShares(runs).values()];
    expect(shares).toEqual([
      { model: 'm', complexity: 'trivial', resolved: 1, total: 2 },
      { model: 'n', complexity: 'trivial', resolved: 1, total: 1 },
    ]);
  });
});
