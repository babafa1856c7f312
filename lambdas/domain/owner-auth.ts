import { UnauthorizedError } from './errors.js';
import type { OwnerTokenVerifier } from './ports.js';

/**
 * An owner's credential as the transport read it: a token to verify, or a credential in a
 * form that cannot carry one, with the reason to give (the transport knows its syntax).
 */
export type OwnerCredential = { token: string } | { refused: string };

/** The owner id of a credential; none, a refused one or an invalid token is a 401. */
export async function authenticateOwner(
  verifier: OwnerTokenVerifier,
  credential: OwnerCredential | undefined,
): Promise<string> {
  if (!credential) throw new UnauthorizedError('Authentication credentials were not provided.');
  if ('refused' in credential) throw new UnauthorizedError(credential.refused);
  return verifier.verify(credential.token);
}
