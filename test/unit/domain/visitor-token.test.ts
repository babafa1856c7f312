import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashVisitorToken, newVisitorToken, visitorTokenMatches } from '../../../lambdas/domain/visitor-token.js';
import { UNKNOWN_UUID, VISITOR_TOKEN } from '../support/fixtures.js';

describe('visitor token', () => {
  it('is a fresh random UUID each time', () => {
    const a = newVisitorToken();
    const b = newVisitorToken();

    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('hashes to the hex SHA-256 of the lower-case token', () => {
    expect(hashVisitorToken(VISITOR_TOKEN.toUpperCase())).toBe(
      createHash('sha256').update(VISITOR_TOKEN).digest('hex'),
    );
  });

  it('matches its own hash, in any letter case', () => {
    const stored = hashVisitorToken(VISITOR_TOKEN);

    expect(visitorTokenMatches(VISITOR_TOKEN, stored)).toBe(true);
    expect(visitorTokenMatches(VISITOR_TOKEN.toUpperCase(), stored)).toBe(true);
  });

  it('does not match another token', () => {
    expect(visitorTokenMatches(UNKNOWN_UUID, hashVisitorToken(VISITOR_TOKEN))).toBe(false);
  });

  it('does not match a stored hash of the wrong length instead of throwing', () => {
    expect(visitorTokenMatches(VISITOR_TOKEN, 'abcd')).toBe(false);
    expect(visitorTokenMatches(VISITOR_TOKEN, '')).toBe(false);
  });

  it('does not match the stored hash presented as the token', () => {
    const stored = hashVisitorToken(VISITOR_TOKEN);

    expect(visitorTokenMatches(stored, stored)).toBe(false);
  });
});
