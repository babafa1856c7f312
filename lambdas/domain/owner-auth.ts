import { UnauthorizedError } from './errors.js';
import type { OwnerTokenVerifier } from './ports.js';

/** Owner id from an `Authorization: Bearer <JWT>` header (the scheme is case-insensitive). */
export async function ownerFromAuthorization(
  verifier: OwnerTokenVerifier,
  authorization: string | undefined,
): Promise<string> {
  if (!authorization) throw new UnauthorizedError('Authentication credentials were not provided.');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw new UnauthorizedError('Authorization header must be "Bearer <token>".');
  return verifier.verify(match[1]);
}
