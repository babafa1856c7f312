import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { JwtOwnerVerifier, type JwtOwnerVerifierOptions } from '../../../lambdas/adapters/jwt-owner-verifier.js';
import { UnauthorizedError } from '../../../lambdas/domain/errors.js';
import { OWNER_A } from '../support/fixtures.js';
import { signAccessToken, TEST_JWT_SECRET, unsignedToken } from '../support/jwt.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbCdEf';
const secrets = mockClient(SecretsManagerClient);

function verifier(options: Partial<JwtOwnerVerifierOptions> = {}) {
  return new JwtOwnerVerifier({
    keySource: { kind: 'secret', secretArn: SECRET_ARN },
    ownerClaim: 'user_id',
    ...options,
  });
}

async function refusal(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
});

describe('JwtOwnerVerifier', () => {
  it('returns the owner id of a valid HS256 access token', async () => {
    const token = await signAccessToken({ user_id: OWNER_A });

    await expect(verifier().verify(token)).resolves.toBe(OWNER_A);
  });

  it('reads the secret named by its ARN', async () => {
    await verifier().verify(await signAccessToken({ user_id: OWNER_A }));

    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: SECRET_ARN },
    ]);
  });

  it('lower-cases the owner id', async () => {
    const token = await signAccessToken({ user_id: OWNER_A.toUpperCase() });

    await expect(verifier().verify(token)).resolves.toBe(OWNER_A);
  });

  it.each([
    ['a number', 42],
    ['"admin"', 'admin'],
    ['a UUID with extra text', `${OWNER_A}x`],
  ])('refuses an owner claim that is %s: owner ids are UUIDs', async (_case, owner) => {
    const error = await refusal(verifier().verify(await signAccessToken({ user_id: owner })));

    expect(error.message).toBe('Token contained no recognizable user identification.');
  });

  /** An HS256 access token with exactly the time claims given (none unless given). */
  const withTimes = (times: { exp?: number; iat?: number }) =>
    new SignJWT({ token_type: 'access', user_id: OWNER_A, ...times })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses a token without exp: it would never expire', async () => {
    const error = await refusal(verifier().verify(await withTimes({ iat: now() })));

    expect(error.message).toBe('Token has no expiry.');
  });

  it('refuses a token issued in the future beyond the clock skew', async () => {
    const error = await refusal(verifier().verify(await withTimes({ iat: now() + 86_400, exp: now() + 2 * 86_400 })));

    expect(error.message).toBe('Token is issued in the future.');
  });

  it('tolerates an iat a few seconds ahead (clock skew), and a token without iat', async () => {
    await expect(verifier().verify(await withTimes({ iat: now() + 10, exp: now() + 300 }))).resolves.toBe(OWNER_A);
    await expect(verifier().verify(await withTimes({ exp: now() + 300 }))).resolves.toBe(OWNER_A);
  });

  it('accepts a token without token_type', async () => {
    const token = await signAccessToken({ user_id: OWNER_A, token_type: undefined });

    await expect(verifier().verify(token)).resolves.toBe(OWNER_A);
  });

  it('refuses an expired token as expired', async () => {
    const token = await signAccessToken({ user_id: OWNER_A }, { expiresInSeconds: -120 });

    const error = await refusal(verifier().verify(token));

    expect(error.message).toBe('Token is expired.');
  });

  it('tolerates a few seconds of clock skew on exp', async () => {
    const token = await signAccessToken({ user_id: OWNER_A }, { expiresInSeconds: -5 });

    await expect(verifier().verify(token)).resolves.toBe(OWNER_A);
  });

  it('refuses a token whose nbf is in the future', async () => {
    const token = await signAccessToken({ user_id: OWNER_A }, { notBeforeSeconds: 600 });

    await refusal(verifier().verify(token));
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signAccessToken({ user_id: OWNER_A }, { secret: 'someone-elses-secret-of-enough-length' });

    const error = await refusal(verifier().verify(token));

    expect(error.message).toBe('Token is invalid.');
  });

  it('refuses an unsigned token (alg none)', async () => {
    await refusal(verifier().verify(unsignedToken({ user_id: OWNER_A })));
  });

  it('refuses an RS256 token: the algorithm list is pinned to HS256', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ user_id: OWNER_A, token_type: 'access' })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(privateKey);

    await refusal(verifier().verify(token));
  });

  it('refuses a refresh token', async () => {
    const token = await signAccessToken({ user_id: OWNER_A, token_type: 'refresh' });

    const error = await refusal(verifier().verify(token));

    expect(error.message).toBe('Token has wrong type.');
  });

  it.each([
    ['missing', {}],
    ['empty', { user_id: '' }],
    ['an object', { user_id: { id: OWNER_A } }],
  ])('refuses a token whose user_id claim is %s', async (_case, claims) => {
    const token = await signAccessToken(claims);

    const error = await refusal(verifier().verify(token));

    expect(error.message).toBe('Token contained no recognizable user identification.');
  });

  it.each([['not-a-jwt'], ['a.b.c'], ['']])('refuses the garbage token %j', async (token) => {
    await refusal(verifier().verify(token));
  });

  describe('issuer and audience', () => {
    const configured = () => verifier({ issuer: 'https://auth.carinfopro.uz', audience: 'carchat' });

    it('accepts a token with the configured issuer and audience', async () => {
      const token = await signAccessToken(
        { user_id: OWNER_A },
        { issuer: 'https://auth.carinfopro.uz', audience: 'carchat' },
      );

      await expect(configured().verify(token)).resolves.toBe(OWNER_A);
    });

    it('refuses another issuer', async () => {
      const token = await signAccessToken(
        { user_id: OWNER_A },
        { issuer: 'https://evil.example', audience: 'carchat' },
      );

      await refusal(configured().verify(token));
    });

    it('refuses another audience', async () => {
      const token = await signAccessToken(
        { user_id: OWNER_A },
        { issuer: 'https://auth.carinfopro.uz', audience: 'other-app' },
      );

      await refusal(configured().verify(token));
    });

    it('refuses a token without the claims when they are configured', async () => {
      await refusal(configured().verify(await signAccessToken({ user_id: OWNER_A })));
    });

    it('ignores issuer and audience when none are configured', async () => {
      const token = await signAccessToken({ user_id: OWNER_A }, { issuer: 'anyone', audience: 'anything' });

      await expect(verifier().verify(token)).resolves.toBe(OWNER_A);
    });
  });

  it('reads the owner id from a configured claim', async () => {
    const token = await signAccessToken({ sub: OWNER_A, user_id: 'not-this-one' });

    await expect(verifier({ ownerClaim: 'sub' }).verify(token)).resolves.toBe(OWNER_A);
  });

  describe('the signing secret', () => {
    it('is fetched once across many verifications', async () => {
      const jwt = verifier();
      const token = await signAccessToken({ user_id: OWNER_A });

      await Promise.all([jwt.verify(token), jwt.verify(token)]);
      for (let i = 0; i < 5; i += 1) await jwt.verify(token);

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    });

    it('is fetched again after a failed fetch', async () => {
      secrets.reset();
      secrets
        .on(GetSecretValueCommand)
        .rejectsOnce(new Error('Secrets Manager unavailable'))
        .resolves({ SecretString: TEST_JWT_SECRET });
      const jwt = verifier();
      const token = await signAccessToken({ user_id: OWNER_A });

      await expect(jwt.verify(token)).rejects.toThrow('Secrets Manager unavailable');
      await expect(jwt.verify(token)).resolves.toBe(OWNER_A);
      await expect(jwt.verify(token)).resolves.toBe(OWNER_A);

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('makes a failed fetch a server error, not a 401 that would blame the owner', async () => {
      secrets.reset();
      secrets.on(GetSecretValueCommand).rejects(new Error('AccessDenied'));

      const error = await verifier()
        .verify(await signAccessToken({ user_id: OWNER_A }))
        .catch((e: unknown) => e);

      expect(error).not.toBeInstanceOf(UnauthorizedError);
      expect(error).toBeInstanceOf(Error);
    });

    it('refuses to work with an empty secret', async () => {
      secrets.reset();
      secrets.on(GetSecretValueCommand).resolves({ SecretString: '' });

      await expect(verifier().verify(await signAccessToken({ user_id: OWNER_A }))).rejects.toThrow(
        'The JWT signing secret is empty',
      );
    });

    it('is fetched through an injected client', async () => {
      const client = new SecretsManagerClient({ region: 'us-east-1' });

      await verifier({ keySource: { kind: 'secret', secretArn: SECRET_ARN, client } }).verify(
        await signAccessToken({ user_id: OWNER_A }),
      );

      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    });
  });
});
