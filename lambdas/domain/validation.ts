import { ValidationError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Returns the UUID in canonical lower case, or throws a ValidationError naming the field. */
export function requireUuid(value: unknown, field: string): string {
  if (!isUuid(value)) throw new ValidationError(`${field} must be a UUID.`);
  return value.toLowerCase();
}

/** Parses a JSON object body; anything else (bad JSON, an array, a number) is a ValidationError. */
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
