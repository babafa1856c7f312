import { UnauthorizedError } from '../../../lambdas/domain/errors.js';
import type { OwnerTokenVerifier } from '../../../lambdas/domain/ports.js';

/** Accepts exactly the tokens it was given, each standing for one owner. */
export class FakeOwnerVerifier implements OwnerTokenVerifier {
  readonly verified: string[] = [];

  constructor(private readonly owners: Record<string, string>) {}

  async verify(token: string): Promise<string> {
    this.verified.push(token);
    const owner = this.owners[token];
    if (!owner) throw new UnauthorizedError('Token is invalid.');
    return owner;
  }
}
