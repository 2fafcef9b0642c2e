import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../sdk/failure/index.js';
import { sensitiveKeyKind } from '../../../sdk/failure/redact.js';

// Every secret below is made up. Each is assembled from parts so that secret
// scanners reading this file do not take it for a leaked credential.
const fake = (...parts: string[]) => parts.join('');

const GITHUB_PAT = fake('ghp', '_', 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVcXz');
const GITHUB_FINE = fake('github', '_pat_', '11AB2CD3E0', 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm', '_NbVcXz98Qw7Er6Ty5Ui4Op3As2Df1Gh0JkLmNbVcXz9Qw8Er7Ty6U');
const GITHUB_OAUTH = fake('gho', '_', 'Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVcXz9Y');
const GITLAB_PAT = fake('glpat', '-', 'abcdefghij1234567890');
const GITLAB_ROUTABLE = fake('glpat', '-', 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1', '.01.', '0k2mzw8rq');
const GITLAB_RUNNER = fake('glrt', '-', 'Qw8Er7Ty6Ui5Op4As3Df2');
const AWS_KEY_ID = fake('AKIA', 'Q7ZX4MPL2WRT9KDN');
const AWS_SECRET = fake('q8Zr/7Kp2Wm+9Xv', 'Lt3Nb6Yc1Hd5Fg4Js0Ae', 'Ru8Ti7');
const SLACK = fake('xoxb', '-', '4821736590', '-', '7391028465', '-', 'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1');
const OPENAI = fake('sk', '-proj-', 'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1Ol0Pa9Sd8Fg7Hj6Kl5');
const ANTHROPIC = fake('sk', '-ant-', 'api03-', 'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1Ol0Pa9Sd8Fg7Hj6Kl5Zq8Wx7Ec6Rv5-Tb4Yn3UmAA');
const STRIPE = fake('sk', '_live_', '51Hq8Wx7Ec6Rv5Tb4Yn3Um2Ik');
const GOOGLE = fake('AIza', 'Sy', 'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1Ol0Pa9Sd8');
const NPM = fake('npm', '_', 'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1Ol0Pa9Sd8Fg7H');
const JWT = fake(
  'eyJ',
  'hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  '.eyJ',
  'zdWIiOiJmYWtlLXVzZXIiLCJpYXQiOjE3MDAwMDAwMDB9',
  '.',
  'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1Ol0Pa9Sd8Fg7Hj6Kl5',
);
const OPAQUE = 'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1';
const PEM = fake(
  '-----BEGIN ',
  'RSA PRIVATE KEY-----\n',
  'MIIEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake\n',
  'Zq8Wx7Ec6Rv5Tb4Yn3Um2Ik1Ol0Pa9Sd8Fg7Hj6Kl5Zq8Wx7Ec6Rv5Tb4Yn3Um2\n',
  '-----END ',
  'RSA PRIVATE KEY-----',
);

const REDACTED: Array<[string, string, string]> = [
  ['GitHub classic token', `token ${GITHUB_PAT} rejected`, 'token [REDACTED:github_token] rejected'],
  ['GitHub fine-grained token', `push with ${GITHUB_FINE}`, 'push with [REDACTED:github_token]'],
  ['GitHub OAuth token', `auth ${GITHUB_OAUTH}.`, 'auth [REDACTED:github_token].'],
  ['GitLab personal access token', `expected token "${GITLAB_PAT}" to be valid`, 'expected token "[REDACTED:gitlab_token]" to be valid'],
  ['GitLab routable token', `token ${GITLAB_ROUTABLE}. Retry`, 'token [REDACTED:gitlab_token]. Retry'],
  ['GitLab runner token', `register --token ${GITLAB_RUNNER}`, 'register --token [REDACTED:gitlab_token]'],
  ['AWS access key id', `key ${AWS_KEY_ID} is not valid`, 'key [REDACTED:aws_access_key_id] is not valid'],
  ['AWS secret access key', `aws_secret_access_key = ${AWS_SECRET}`, 'aws_secret_access_key = [REDACTED:aws_secret_access_key]'],
  ['AWS secret in env form', `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'AWS_SECRET_ACCESS_KEY=[REDACTED:aws_secret_access_key]'],
  ['Slack bot token', `slack: invalid_auth for ${SLACK}`, 'slack: invalid_auth for [REDACTED:slack_token]'],
  ['OpenAI key', `Incorrect API key provided: ${OPENAI}.`, 'Incorrect API key provided: [REDACTED:openai_key].'],
  ['Anthropic key', `x-api-key header ${ANTHROPIC} invalid`, 'x-api-key header [REDACTED:anthropic_key] invalid'],
  ['Stripe key', `stripe ${STRIPE}`, 'stripe [REDACTED:stripe_key]'],
  ['Google API key', `maps?key=${GOOGLE}&q=x`, 'maps?key=[REDACTED:google_api_key]&q=x'],
  ['npm token', `//registry.npmjs.org/:_authToken=${NPM}`, '//registry.npmjs.org/:_authToken=[REDACTED:npm_token]'],
  ['JWT', `cookie session=${JWT}; Path=/`, 'cookie session=[REDACTED:jwt]; Path=/'],
  ['Bearer token', `curl -H "Authorization: Bearer ${OPAQUE}" https://api.example.test`, 'curl -H "Authorization: [REDACTED:bearer_token]" https://api.example.test'],
  ['Bearer without header', `using bearer ${OPAQUE} for requests`, 'using bearer [REDACTED:bearer_token] for requests'],
  ['Basic authorization', 'Authorization: Basic ZGFuYTpodW50ZXIy', 'Authorization: [REDACTED:authorization]'],
  ['private key block', `key:\n${PEM}\nnext line`, 'key:\n[REDACTED:private_key]\nnext line'],
  ['private key without end', fake('-----BEGIN ', 'OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA'), '[REDACTED:private_key]'],
  ['password assignment', 'password=hunter2 user=dana', 'password=[REDACTED:password] user=dana'],
  ['passwd colon', 'passwd: Tr0ub4dor&3', 'passwd: [REDACTED:password]&3'],
  ['JSON password', '{"user": "dana", "password": "c0rrect horse"}', '{"user": "dana", "password": "[REDACTED:password]"}'],
  ['PGPASSWORD', 'PGPASSWORD=s3cr3t psql -h db', 'PGPASSWORD=[REDACTED:password] psql -h db'],
  ['password flag', 'mysql --password=s3cr3t shop', 'mysql --password=[REDACTED:password] shop'],
  ['DB_PASS', "DB_PASS='s3cr3t'", "DB_PASS='[REDACTED:password]'"],
  ['Postgres URL', 'postgres://shop:s3cr3t@db.internal:5432/shop', 'postgres://[REDACTED:url_credentials]@db.internal:5432/shop'],
  ['MongoDB SRV URL', 'mongodb+srv://app:pa55word@cluster0.example.net/test', 'mongodb+srv://[REDACTED:url_credentials]@cluster0.example.net/test'],
  ['Redis URL without user', 'redis://:s3cr3t@cache:6379/0', 'redis://[REDACTED:url_credentials]@cache:6379/0'],
  ['password containing @', 'amqp://guest:p@ss@mq.example.com/', 'amqp://[REDACTED:url_credentials]@mq.example.com/'],
  ['HTTPS clone URL', `https://x-access-token:${OPAQUE}@github.com/acme/shop.git`, 'https://[REDACTED:url_credentials]@github.com/acme/shop.git'],
  ['api_key assignment', 'api_key=abc123def456', 'api_key=[REDACTED:api_key]'],
  ['API key header', 'X-Api-Key: abc123def456', 'X-Api-Key: [REDACTED:api_key]'],
  ['secret assignment', 'secret=abc123def456', 'secret=[REDACTED:secret]'],
  ['camelCase secret', 'clientSecret: "abc123def456"', 'clientSecret: "[REDACTED:secret]"'],
  ['token assignment', 'token=abc123def456', 'token=[REDACTED:token]'],
  ['token in a query string', '?access_token=abc123&page=2', '?access_token=[REDACTED:token]&page=2'],
  ['token nested in a value', 'env="GITHUB_TOKEN=abc123def456"', 'env="GITHUB_TOKEN=[REDACTED:token]"'],
  ['unterminated quoted value', 'password="abc 123 def\nnext', 'password="[REDACTED:password]\nnext'],
  ['email address', 'Author: Dana Reyes <dana.reyes+ci@example.co.uk>', 'Author: Dana Reyes <[REDACTED:email]>'],
  ['two secrets', `password=one and token=two`, 'password=[REDACTED:password] and token=[REDACTED:token]'],
];

const UNTOUCHED: Array<[string, string]> = [
  ['ordinary words', 'Reset your password and try again; the token expired and the secretary left.'],
  ['prose bearer', 'The bearer authentication scheme is described elsewhere.'],
  ['version numbers', 'node v20.11.1, lodash@4.17.21, @types/node@20.19.43, python3.12'],
  ['commit hashes', 'HEAD is now at 3f2a9c1b0d4e5f6a7b8c9d0e1f2a3b4c5d6e7f80 Fix totals'],
  ['hashes in test names', 'FAILED tests/test_cache.py::test_key_3f2a9c1b0d4e5f6a - assert 1 == 2'],
  ['test names mentioning tokens', 'FAILED tests/test_auth.py::test_token::test_refresh - assert False'],
  ['UUIDs', 'job 5f0c2a9e-8b1d-4c3e-9f7a-2b6d8e1c4a05 failed'],
  ['token counts', 'max_tokens: 1024, input_tokens=512'],
  ['hyphenated sk words', 'uses sk-learn-compatible-estimators-for-pipelines'],
  ['task ids', 'task-1234567890abcdefghij done'],
  ['URLs without credentials', 'GET https://registry.npmjs.org:443/lodash failed'],
  ['SSH remotes', 'git@github.com:acme/shop.git'],
  ['masked values', 'password=*** token: ***'],
  ['public certificates', '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----'],
  ['empty text', ''],
];

describe('redactSecrets', () => {
  it.each(REDACTED)('redacts %s', (_name, input, expected) => {
    expect(redactSecrets(input).text).toBe(expected);
  });

  it.each(REDACTED)('counts %s', (_name, input, expected) => {
    const markers = expected.match(/\[REDACTED:[a-z_]+\]/g) ?? [];
    expect(redactSecrets(input).redactions).toBe(markers.length);
  });

  it.each(UNTOUCHED)('keeps %s', (_name, input) => {
    expect(redactSecrets(input)).toEqual({ text: input, redactions: 0 });
  });

  it('leaves no fragment of any secret', () => {
    const secrets = [GITHUB_PAT, GITHUB_FINE, AWS_KEY_ID, SLACK, OPENAI, ANTHROPIC, STRIPE, GOOGLE, NPM, JWT];
    const lines = secrets.map((secret, index) => `value${index}=${secret}`);
    lines.push(`aws_secret_access_key: ${AWS_SECRET}`, `postgres://shop:${OPAQUE}@db/shop`);
    const text = redactSecrets(lines.join('\n')).text;
    const fragments = [...secrets, AWS_SECRET, OPAQUE].flatMap((secret) => [secret.slice(0, 12), secret.slice(-12)]);
    expect(fragments.filter((fragment) => text.includes(fragment))).toEqual([]);
  });

  it('merges overlapping matches into one marker', () => {
    expect(redactSecrets(`GITHUB_TOKEN=${GITHUB_PAT}`)).toEqual({
      text: 'GITHUB_TOKEN=[REDACTED:github_token]',
      redactions: 1,
    });
  });
});

describe('sensitiveKeyKind', () => {
  it.each([
    ['PGPASSWORD', 'password'],
    ['MYSQL_PWD', 'password'],
    ['smtp_pass', 'password'],
    ['clientSecret', 'secret'],
    ['JWT_SECRET', 'secret'],
    ['ssh_private_key', 'secret'],
    ['GITHUB_TOKEN', 'token'],
    ['_authToken', 'token'],
    ['x-api-key', 'api_key'],
    ['Proxy-Authorization', 'authorization'],
  ])('%s is %s', (key, kind) => {
    expect(sensitiveKeyKind(key)).toBe(kind);
  });

  it.each(['secretary', 'max_tokens', 'tokenizer', 'bypass', 'compass', 'token_type', 'username'])('%s is not sensitive', (key) => {
    expect(sensitiveKeyKind(key)).toBeUndefined();
  });
});
