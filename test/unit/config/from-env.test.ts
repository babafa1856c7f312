import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifierFromEnv } from '../../../lambdas/config/auth.js';
import { environmentOf } from '../../../lambdas/config/settings-contract.js';
import { storeOptionsFromEnv } from '../../../lambdas/config/store.js';
import { OWNER_A } from '../support/fixtures.js';
import { HANDLER_ENV } from '../support/handler-env.js';
import { signAccessToken, TEST_JWT_SECRET } from '../support/jwt.js';

/**
 * The settings reach the adapters the entry points build. (The handler tests run
 * makeHandler on fakes; what each adapter does with its options is in the adapter tests.)
 */
describe('the store built from the environment', () => {
  const table = environmentOf({ tableName: 'chat-table' });

  it('keeps connection rows for three hours by default, or for the connectionTtlSeconds setting', () => {
    expect(storeOptionsFromEnv(table).retention.connectionSeconds).toBe(3 * 3600);
    expect(
      storeOptionsFromEnv({ ...table, ...environmentOf({ connectionTtlSeconds: 9000 }) }).retention.connectionSeconds,
    ).toBe(9000);
  });

  it('turns both start limits off with 0', () => {
    const options = storeOptionsFromEnv({
      ...table,
      ...environmentOf({ roomStartsPerMinutePerIp: 0, roomStartsPerHourPerOwner: 0 }),
    });

    expect(options.limits).toMatchObject({ startsPerMinute: 0, startsPerHourPerOwner: 0 });
  });
});

describe('the owner-token verifier built from the environment', () => {
  // The verifier reads its HS256 secret from Secrets Manager on first use; this is the one
  // config test that needs the SDK answered.
  const secrets = mockClient(SecretsManagerClient);

  afterEach(() => {
    secrets.reset();
    vi.unstubAllEnvs();
  });

  it('reads the owner id from JWT_OWNER_CLAIM', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_JWT_SECRET });
    for (const [name, value] of Object.entries({ ...HANDLER_ENV, ...environmentOf({ jwtOwnerClaim: 'sub' }) }))
      vi.stubEnv(name, value);

    await expect(
      verifierFromEnv().verify(await signAccessToken({ sub: OWNER_A, user_id: 'not-this-one' })),
    ).resolves.toBe(OWNER_A);
  });
});
