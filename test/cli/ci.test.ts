import { describe, expect, it } from 'vitest';

import { isCi } from '../e2e/ci.js';

describe('isCi', () => {
  it.each(['true', '1', 'TRUE', 'yes', 'github-actions'])('treats CI=%s as CI', (value) => {
    expect(isCi({ CI: value })).toBe(true);
  });

  it.each(['false', 'FALSE', ' False ', '0', ' 0', '', '  '])('treats CI=%j as not CI', (value) => {
    expect(isCi({ CI: value })).toBe(false);
  });

  it('treats an unset CI as not CI', () => {
    expect(isCi({})).toBe(false);
  });
});
