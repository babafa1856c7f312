import { createHash, randomBytes } from 'node:crypto';

/** An id shaped like API Gateway's request and connection ids, e.g. 'L0SM9cOFvHcCIhw='. */
export const awsStyleId = (): string => randomBytes(11).toString('base64');

/** A stable 10-character API id for a template's logical id, like 'a1b2c3d4e5'. */
export const localApiId = (logicalId: string): string =>
  createHash('sha256').update(logicalId).digest('hex').slice(0, 10);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** API Gateway's requestTime format: '12/Mar/2020:19:03:58 +0000'. */
export function apiGatewayTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** The client's address without the IPv4-mapped IPv6 prefix Node reports. */
export const clientAddress = (address: string | undefined): string => (address ?? '127.0.0.1').replace(/^::ffff:/, '');

/**
 * The X-Forwarded-* headers API Gateway adds to the request a function receives: the caller's
 * address (appended to an X-Forwarded-For the request brought), the port it was received on,
 * and the scheme (plain HTTP locally).
 */
export function forwardedHeaders(sourceIp: string, localPort: number | undefined): [string, string][] {
  return [
    ['X-Forwarded-For', sourceIp],
    ['X-Forwarded-Port', String(localPort ?? '')],
    ['X-Forwarded-Proto', 'http'],
  ];
}

/** Decodes a query component as API Gateway does ('+' is a space). */
export function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Splits a raw query string into decoded [key, value] pairs, in order. */
export function parseQuery(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1
        ? [decodeComponent(pair), '']
        : [decodeComponent(pair.slice(0, eq)), decodeComponent(pair.slice(eq + 1))];
    });
}
