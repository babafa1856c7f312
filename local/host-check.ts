import { networkInterfaces } from 'node:os';

/**
 * The Host names the local stack answers to. A browser page from anywhere can make a name it
 * controls resolve to this machine (DNS rebinding) and then call the stack with that name in
 * the Host header; refusing every Host that is not one of the stack's own names stops that,
 * the way CloudFront refuses (403) a Host that is not one of the distribution's names.
 *
 * Allowed, each with the port: localhost, 127.0.0.1, [::1], the address the stack listens
 * on, and, when it listens on every interface (0.0.0.0 or ::), each interface's address,
 * read at every request so a changed Wi-Fi address is picked up.
 */
export type HostCheck = (host: string | undefined) => boolean;

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** An IPv6 address goes in brackets in a Host header; a zone id (fe80::1%eth0) is dropped. */
const asHostName = (address: string): string => {
  const plain = address.toLowerCase().replace(/%.*$/, '');
  return plain.includes(':') && !plain.startsWith('[') ? `[${plain}]` : plain;
};

export function hostCheck(
  listenHost: string,
  port: number,
  interfaces: () => string[] = interfaceAddresses,
): HostCheck {
  const fixed = [...LOOPBACK_NAMES, ...(WILDCARD.has(listenHost) ? [] : [listenHost])].map(asHostName);
  const withPort = (names: string[]) =>
    new Set(names.flatMap((name) => (port === 80 ? [name, `${name}:80`] : [`${name}:${port}`])));
  const always = withPort(fixed);
  return (host) => {
    if (!host) return false;
    const wanted = host.toLowerCase();
    if (always.has(wanted)) return true;
    return WILDCARD.has(listenHost) && withPort(interfaces().map(asHostName)).has(wanted);
  };
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
}
