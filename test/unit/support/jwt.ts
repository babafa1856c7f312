import { SignJWT, type JWTPayload } from 'jose';

export const TEST_JWT_SECRET = 'unit-test-signing-secret-of-the-django-backend';

export interface SignOptions {
  secret?: string;
  /** Seconds from now; negative for an already expired token. */
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** An HS256 access token shaped like SimpleJWT's: token_type, user_id, exp, iat, jti. */
export async function signAccessToken(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ token_type: 'access', jti: 'test-jti', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 300));
  if (options.notBeforeSeconds !== undefined) jwt = jwt.setNotBefore(now + options.notBeforeSeconds);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) carrying any claims: what an attacker can forge freely. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ token_type: 'access', exp: now + 300, ...claims })}.`;
}
