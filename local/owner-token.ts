import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

/** The local stack's HS256 key unless JWT_SECRET says otherwise. Never use it anywhere real. */
export const DEFAULT_JWT_SECRET = 'local-dev-secret-change-me';

export const jwtSecretFromEnv = (): string => process.env.JWT_SECRET || DEFAULT_JWT_SECRET;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * An owner access token as the Django backend's SimpleJWT issues it: HS256, the owner in
 * `user_id`, `token_type` 'access', `jti`, `iat` and `exp` (24 hours here).
 */
export async function signOwnerToken(ownerId: string, secret: string, lifetimeSeconds = 24 * 3600): Promise<string> {
  if (!isUuid(ownerId)) throw new Error(`Owner id must be a UUID, got "${ownerId}"`);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_type: 'access', user_id: ownerId.toLowerCase(), jti: randomUUID().replace(/-/g, '') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(new TextEncoder().encode(secret));
}
