import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { UnauthorizedError } from '../domain/errors.js';
import type { OwnerTokenVerifier } from '../domain/ports.js';
import { isUuid } from '../domain/validation.js';

export type OwnerKeySource =
  /** The shared HS256 secret of the Django backend (SimpleJWT), kept in Secrets Manager. */
  | { kind: 'secret'; secretArn: string; client?: SecretsManagerClient }
  /** A JWKS URL of an identity provider that signs with RSA or EC keys (e.g. Cognito). */
  | { kind: 'jwks'; url: string };

export interface JwtOwnerVerifierOptions {
  keySource: OwnerKeySource;
  /** Claim that carries the owner id; SimpleJWT's default is `user_id`. */
  ownerClaim: string;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds?: number;
}

const SECRET_ALGORITHMS = ['HS256'];
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/**
 * Verifies owner access tokens with jose: signature with a pinned algorithm list (so neither
 * `none` nor an RSA/HMAC confusion can pass), `exp` required, exp/nbf/iat with a small clock
 * skew (a token issued in the future is forged or from a broken clock), optional issuer and
 * audience, SimpleJWT's `token_type` (a refresh token is not an access token), and an owner
 * claim that is a UUID string (what the Django backend's owner ids are; a number or a name
 * such as "admin" is no owner of this chat).
 */
export class JwtOwnerVerifier implements OwnerTokenVerifier {
  private secretKey?: Promise<Uint8Array>;
  private readonly jwks?: JWTVerifyGetKey;

  constructor(private readonly options: JwtOwnerVerifierOptions) {
    if (options.keySource.kind === 'jwks') this.jwks = createRemoteJWKSet(new URL(options.keySource.url));
  }

  async verify(token: string): Promise<string> {
    let payload: Record<string, unknown>;
    try {
      const verifyOptions = {
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: ['exp'],
      };
      const result = this.jwks
        ? await jwtVerify(token, this.jwks, { ...verifyOptions, algorithms: JWKS_ALGORITHMS })
        : await jwtVerify(token, await this.loadSecret(), { ...verifyOptions, algorithms: SECRET_ALGORITHMS });
      payload = result.payload;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new UnauthorizedError(describeJoseError(error));
      throw error;
    }
    // jose checks that iat is a number but not that it lies in the past.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + this.clockToleranceSeconds) {
      throw new UnauthorizedError('Token is issued in the future.');
    }
    if (payload.token_type !== undefined && payload.token_type !== 'access') {
      throw new UnauthorizedError('Token has wrong type.');
    }
    const owner = payload[this.options.ownerClaim];
    if (!isUuid(owner)) throw new UnauthorizedError('Token contained no recognizable user identification.');
    return owner.toLowerCase();
  }

  private get clockToleranceSeconds(): number {
    return this.options.clockToleranceSeconds ?? 30;
  }

  /** Read once per cold start; a failed read is retried on the next request. */
  private loadSecret(): Promise<Uint8Array> {
    if (!this.secretKey) {
      const source = this.options.keySource as Extract<OwnerKeySource, { kind: 'secret' }>;
      const client = source.client ?? new SecretsManagerClient({});
      this.secretKey = client
        .send(new GetSecretValueCommand({ SecretId: source.secretArn }))
        .then(({ SecretString }) => {
          if (!SecretString) throw new Error('The JWT signing secret is empty');
          return new TextEncoder().encode(SecretString);
        });
      this.secretKey.catch(() => {
        this.secretKey = undefined;
      });
    }
    return this.secretKey;
  }
}

function describeJoseError(error: InstanceType<typeof joseErrors.JOSEError>): string {
  if (error instanceof joseErrors.JWTExpired) return 'Token is expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp') return 'Token has no expiry.';
  return 'Token is invalid.';
}
