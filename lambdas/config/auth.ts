import { JwtOwnerVerifier } from '../adapters/jwt-owner-verifier.js';
import { optionalEnv } from '../shared/env.js';

/**
 * Owner-token verification: JWT_SECRET_ARN (the Django backend's HS256 secret in Secrets
 * Manager) or JWT_JWKS_URL (an RS256/ES256 key set), exactly one of them.
 */
export function verifierFromEnv(): JwtOwnerVerifier {
  const secretArn = optionalEnv('JWT_SECRET_ARN');
  const jwksUrl = optionalEnv('JWT_JWKS_URL');
  if (!secretArn === !jwksUrl) throw new Error('Set exactly one of JWT_SECRET_ARN and JWT_JWKS_URL');
  return new JwtOwnerVerifier({
    keySource: secretArn ? { kind: 'secret', secretArn } : { kind: 'jwks', url: jwksUrl as string },
    ownerClaim: optionalEnv('JWT_OWNER_CLAIM') ?? 'user_id',
    issuer: optionalEnv('JWT_ISSUER'),
    audience: optionalEnv('JWT_AUDIENCE'),
  });
}
