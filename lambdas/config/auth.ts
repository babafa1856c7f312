import { JwtOwnerVerifier } from '../adapters/jwt-owner-verifier.js';
import { optionalEnv } from './env.js';
import { SETTINGS } from './settings-contract.js';

/**
 * Owner-token verification: the Django backend's HS256 secret in Secrets Manager
 * (jwtSecretArn) or an RS256/ES256 key set (jwtJwksUrl), exactly one of them.
 */
export function verifierFromEnv(): JwtOwnerVerifier {
  const secretArn = optionalEnv('jwtSecretArn');
  const jwksUrl = optionalEnv('jwtJwksUrl');
  if (!secretArn === !jwksUrl)
    throw new Error(`Set exactly one of ${SETTINGS.jwtSecretArn.env} and ${SETTINGS.jwtJwksUrl.env}`);
  return new JwtOwnerVerifier({
    keySource: secretArn ? { kind: 'secret', secretArn } : { kind: 'jwks', url: jwksUrl as string },
    ownerClaim: optionalEnv('jwtOwnerClaim') ?? SETTINGS.jwtOwnerClaim.default,
    issuer: optionalEnv('jwtIssuer'),
    audience: optionalEnv('jwtAudience'),
  });
}
