import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../sdk/failure/index.js';

// Fake secrets, assembled from parts so that secret scanners do not flag this file.
const GITHUB = ['ghp', 'abcdefghijklmnopqrstuvwxyz0123456789'].join('_');

describe('redactSecrets, more formats', () => {
  const cases: Array<[string, string, string]> = [
    ['a token inside ANSI colour codes', `\u001b[33m${GITHUB}\u001b[0m`, GITHUB],
    ['a password in JSON escaped into a string', '{\\"password\\":\\"Tr0ub4dor&3xyz\\"}', 'Tr0ub4dor&3xyz'],
    ['an Azure account key', 'AccountName=acct;AccountKey=QUJDREVGR0hJSktMTU5PUA==;EndpointSuffix=core', 'QUJDREVGR0hJSktMTU5PUA'],
    ['a URL password with a slash and a hash', 'postgres://admin:Ab/cD3#x@db:5432/prod', 'Ab/cD3'],
    ['a Slack webhook URL', 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX', 'XXXXXXXXXXXX'],
    ['a cookie header', 'Cookie: session=abc123def456', 'abc123def456'],
    ['curl basic auth', 'curl -u alice:s3cretpass https://x', 's3cretpass'],
    ['a SAS signature', 'https://acct.blob.core.windows.net/c?sv=2020&sig=abcDEF123%2Bxyz', 'abcDEF123'],
  ];

  it.each(cases)('redacts %s', (_name, input, secret) => {
    const result = redactSecrets(input);
    expect(result.text).not.toContain(secret);
    expect(result.redactions).toBeGreaterThan(0);
  });

  it('removes ANSI escape bytes from the result', () => {
    expect(redactSecrets('\u001b[31mError\u001b[0m: failed').text).toBe('Error: failed');
  });
});
