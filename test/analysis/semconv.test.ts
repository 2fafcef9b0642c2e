import { describe, expect, it } from 'vitest';

import * as analysis from '../../analysis/semconv.js';
import * as sdk from '../../sdk/semconv.js';

describe('analysis semconv', () => {
  it('copies the SDK names unchanged', () => {
    const sdkNames = sdk as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(analysis)) {
      expect(sdkNames[name], name).toBe(value);
    }
  });
});
