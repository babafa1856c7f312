import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * A visitor token is a random UUID handed to the visitor once, at chat start. It is a
 * session secret: only its SHA-256 is stored, and comparisons are constant-time so that
 * response timing tells nothing about how much of a guess was right.
 */
export const newVisitorToken = (): string => randomUUID();

export const hashVisitorToken = (token: string): string =>
  createHash('sha256').update(token.toLowerCase(), 'utf8').digest('hex');

export function visitorTokenMatches(token: string, storedHash: string): boolean {
  const candidate = Buffer.from(hashVisitorToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}
