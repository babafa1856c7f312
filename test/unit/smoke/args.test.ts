import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseUrlFromOutputs, parseArgs, UsageError } from '../../../smoke/args.js';
import { ownerOfToken } from '../../../smoke/smoke.js';

const outputsFile = (content: unknown) => {
  const file = join(mkdtempSync(join(tmpdir(), 'smoke-args-')), 'cdk-outputs.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

describe('smoke command line', () => {
  it('takes a base URL and the signing key', () => {
    expect(parseArgs(['https://chat.example.com', '--jwt-secret', 'k'], {})).toEqual({
      baseUrl: 'https://chat.example.com',
      jwtSecret: 'k',
    });
  });

  it('takes --name=value, a token, an owner id and a step timeout in seconds', () => {
    expect(parseArgs(['http://127.0.0.1:8000', '--token=a.b.c', '--owner-id', 'x', '--step-timeout', '5'], {})).toEqual(
      {
        baseUrl: 'http://127.0.0.1:8000',
        token: 'a.b.c',
        ownerId: 'x',
        stepTimeoutMs: 5000,
      },
    );
  });

  it('reads the key or the token from the environment when the command line has neither', () => {
    expect(parseArgs(['https://x.example'], { SMOKE_JWT_SECRET: 'k' })).toMatchObject({ jwtSecret: 'k' });
    expect(parseArgs(['https://x.example'], { SMOKE_TOKEN: 't' })).toMatchObject({ token: 't' });
    expect(parseArgs(['https://x.example', '--jwt-secret', 'cli'], { SMOKE_JWT_SECRET: 'env' })).toMatchObject({
      jwtSecret: 'cli',
    });
  });

  it.each([
    [[], /no base URL/],
    [['https://x.example'], /--token.*--jwt-secret/],
    [['https://x.example', 'https://y.example', '--jwt-secret', 'k'], /one base URL/],
    [['https://x.example', '--jwt-secret'], /--jwt-secret needs a value/],
    [['https://x.example', '--jwt-secret', 'k', '--verbose', '1'], /unknown option --verbose/],
    [['https://x.example', '--jwt-secret', 'k', '--step-timeout', '0'], /1 to 30 seconds/],
    [['https://x.example', '--outputs', 'f.json', '--jwt-secret', 'k'], /not both/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(UsageError);
    expect(() => parseArgs(argv, {})).toThrow(message);
  });
});

describe('the cdk outputs file', () => {
  it('gives the BaseUrl of its one stack', () => {
    const file = outputsFile({
      CarChat: {
        BaseUrl: 'https://chat.example.com',
        HttpApiUrl: 'https://abc.execute-api.eu-central-1.amazonaws.com',
      },
    });

    expect(baseUrlFromOutputs(file)).toBe('https://chat.example.com');
    expect(parseArgs(['--outputs', file, '--jwt-secret', 'k'], {}).baseUrl).toBe('https://chat.example.com');
  });

  it('falls back to HttpApiUrl for a stack deployed without the front door', () => {
    expect(
      baseUrlFromOutputs(
        outputsFile({ CarChat: { HttpApiUrl: 'https://abc.execute-api.eu-central-1.amazonaws.com' } }),
      ),
    ).toBe('https://abc.execute-api.eu-central-1.amazonaws.com');
  });

  it('needs --stack when several stacks are in the file, and names them', () => {
    const file = outputsFile({
      ChatA: { BaseUrl: 'https://a.example' },
      ChatB: { BaseUrl: 'https://b.example' },
      Other: { Bucket: 'x' },
    });

    expect(() => baseUrlFromOutputs(file)).toThrow(/several stacks \(ChatA, ChatB\); pick one with --stack/);
    expect(baseUrlFromOutputs(file, 'ChatB')).toBe('https://b.example');
  });

  it('says what is wrong with a file it cannot use', () => {
    expect(() => baseUrlFromOutputs(outputsFile({ Other: { Bucket: 'x' } }))).toThrow(/names no stack with a BaseUrl/);
    expect(() => baseUrlFromOutputs(outputsFile('not json'))).toThrow(UsageError);
    expect(() => baseUrlFromOutputs(join(tmpdir(), 'no-such-dir-smoke', 'x.json'))).toThrow(/cannot read/);
  });
});

describe('the owner of a given token', () => {
  const jwt = (payload: unknown) => `h.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.s`;

  it('is its user_id claim, in lower case', () => {
    expect(ownerOfToken(jwt({ user_id: '3F1C1E1A-8A5E-4A53-9A36-2F1D7C0B9E10' }))).toBe(
      '3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10',
    );
  });

  it('asks for --owner-id when the claim is missing or no UUID, and refuses what is no JWT', () => {
    expect(() => ownerOfToken(jwt({ sub: 'x' }))).toThrow(/--owner-id/);
    expect(() => ownerOfToken('not-a-jwt')).toThrow(/not a JWT/);
  });
});
