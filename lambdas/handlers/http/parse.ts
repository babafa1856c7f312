import { ValidationError } from '../../domain/errors.js';
import type { OwnerCredential } from '../../domain/owner-auth.js';

/**
 * HTTP syntax, turned into the typed input of the use cases: the JSON body, the Bearer
 * header, query-string numbers. What a value must be (a UUID, a length, a range) is a rule
 * and stays in the domain; only how it is spelled on the wire is read here.
 */

/** A JSON object body; anything else (bad JSON, an array, a number) is a ValidationError. */
export function parseJsonObject(body: string | undefined | null): Record<string, unknown> {
  if (body === undefined || body === null || body.trim() === '') {
    throw new ValidationError('Request body must be a JSON object.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ValidationError('Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError('Request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * The owner credential of an `Authorization: Bearer <JWT>` header (the scheme is
 * case-insensitive). No header (or an empty one) is no credential; a header in another
 * form is a credential the domain refuses, with the reason, where it would use it.
 */
export function bearerCredential(authorization: string | undefined): OwnerCredential | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return { refused: 'Authorization header must be "Bearer <token>".' };
  return { token: match[1] };
}

/**
 * A query-string count: its digits as a number, or NaN when it is not a plain non-negative
 * integer ("5.0", "-1", "1e3"), which the domain's range check then refuses in its own words
 * and at its own point (after the reader is authorised).
 */
export const queryInteger = (raw: string | undefined): number | undefined =>
  raw === undefined ? undefined : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
