import { describe, expect, it } from 'vitest';
import { hostCheck } from '../../../local/host-check.js';

const lan = () => ['127.0.0.1', '192.168.1.20', '::1', 'fe80::1c2d:3eff:fe4f:5a6b%wlan0'];

describe('the Host check of the local stack (DNS rebinding)', () => {
  it("allows the loopback names with the stack's port, in any case", () => {
    const allowed = hostCheck('127.0.0.1', 8000, lan);
    for (const host of ['localhost:8000', 'LOCALHOST:8000', '127.0.0.1:8000', '[::1]:8000'])
      expect(allowed(host), host).toBe(true);
  });

  it('refuses another name, another port, no port and no Host at all', () => {
    const allowed = hostCheck('127.0.0.1', 8000, lan);
    for (const host of [
      'attacker.example:8000',
      'localhost:8001',
      'localhost',
      '127.0.0.1.nip.io:8000',
      '',
      undefined,
    ]) {
      expect(allowed(host), String(host)).toBe(false);
    }
  });

  it("allows the interfaces' addresses only when listening on every interface", () => {
    expect(hostCheck('127.0.0.1', 8000, lan)('192.168.1.20:8000')).toBe(false);
    for (const wildcard of ['0.0.0.0', '::']) {
      const allowed = hostCheck(wildcard, 8000, lan);
      expect(allowed('192.168.1.20:8000')).toBe(true);
      expect(allowed('[fe80::1c2d:3eff:fe4f:5a6b]:8000')).toBe(true);
      expect(allowed('192.168.1.21:8000')).toBe(false);
    }
  });

  it('allows the address it listens on', () => {
    const allowed = hostCheck('192.168.1.20', 8000, lan);
    expect(allowed('192.168.1.20:8000')).toBe(true);
    expect(allowed('10.0.0.5:8000')).toBe(false);
  });

  it('reads the interfaces at each request, so a new address is allowed at once', () => {
    let addresses = ['192.168.1.20'];
    const allowed = hostCheck('0.0.0.0', 8000, () => addresses);
    expect(allowed('10.0.0.7:8000')).toBe(false);
    addresses = ['10.0.0.7'];
    expect(allowed('10.0.0.7:8000')).toBe(true);
    expect(allowed('192.168.1.20:8000')).toBe(false);
  });

  it('takes a name without a port on port 80, as browsers send it', () => {
    const allowed = hostCheck('127.0.0.1', 80, lan);
    expect(allowed('localhost')).toBe(true);
    expect(allowed('localhost:80')).toBe(true);
  });
});
