import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signOwnerToken } from '../../local/owner-token.js';
import { CHECKS, runSmoke } from '../../smoke/smoke.js';
import { MANY_ROOM_STARTS, useLocalStack } from './support/local-stack-fixture.js';

/** `npm run smoke` against the local stack (what `npm start` serves) and against something else. */
const local = useLocalStack({ environment: MANY_ROOM_STARTS });

const ALL_CHECKS = Object.values(CHECKS);

/** Runs the smoke entry point as `npm run smoke` does; resolves with its exit code and output lines. */
function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'smoke/run.ts', ...args], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines: stdout.trimEnd().split('\n'), stderr }));
  });
}

describe('npm run smoke against the local stack', () => {
  it('passes every check with the signing key (a fresh owner, and a second one for the 403)', async () => {
    const lines: string[] = [];

    const report = await runSmoke({
      baseUrl: local.stack.httpUrl,
      jwtSecret: local.stack.jwtSecret,
      print: (line) => lines.push(line),
    });

    expect(report.results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(report.results.map((r) => r.name)).toEqual(ALL_CHECKS);
    expect(report.ok).toBe(true);
    expect(lines).toEqual([...ALL_CHECKS.map((name) => `ok   ${name}`), report.summary]);
    expect(report.summary).toMatch(/^smoke passed: 14 ok, 0 failed, 0 skipped against http:\/\/localhost:\d+ in /);
  });

  it('passes every check with only an owner token (the 403 through the visitor token of another room)', async () => {
    const ownerId = randomUUID();
    const token = await signOwnerToken(ownerId, local.stack.jwtSecret, 300);

    const report = await runSmoke({ baseUrl: local.stack.httpUrl, token });

    expect(report.results.filter((r) => r.status !== 'ok')).toEqual([]);
    // Both rooms it made were closed.
    await expect
      .poll(async () => ((await local.api.listRooms(token)) as { is_active: boolean }[]).map((r) => r.is_active), {
        timeout: 5000,
      })
      .toEqual([false, false]);
  });

  it('reads BaseUrl from the cdk outputs file, takes the key from the environment, and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smoke-'));
    const outputs = join(dir, 'cdk-outputs.json');
    writeFileSync(outputs, JSON.stringify({ CarChat: { BaseUrl: local.stack.httpUrl, TableName: 'x' } }));

    const { code, lines, stderr } = await runCli(['--outputs', outputs], { SMOKE_JWT_SECRET: local.stack.jwtSecret });

    expect(stderr).toBe('');
    expect(lines.slice(0, -1)).toEqual(ALL_CHECKS.map((name) => `ok   ${name}`));
    expect(lines.at(-1)).toMatch(/^smoke passed: 14 ok/);
    expect(code).toBe(0);
    // The key never appears in what it prints.
    expect(lines.join('\n')).not.toContain(local.stack.jwtSecret);
  });
});

describe('npm run smoke against something that is not this API', () => {
  it('exits 1 and names the first failing check', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<h1>Welcome</h1>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;

      const { code, lines } = await runCli([`http://127.0.0.1:${port}`, '--jwt-secret', 'not-the-key']);

      expect(code).toBe(1);
      expect(lines[0]).toBe('FAIL start a chat: POST /api/chat/start/ answered 200 <h1>Welcome</h1>, expected 201');
      expect(lines.filter((line) => line.startsWith('ok '))).toEqual([]);
      expect(lines).toContain('skip close the room: needs "start a chat"');
      expect(lines.at(-1)).toMatch(/^smoke FAILED: 0 ok, 4 failed, 10 skipped against http:\/\/127\.0\.0\.1:\d+ in /);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('exits 2 with the usage on a bad command line', async () => {
    const { code, stderr } = await runCli(['--jwt-secret', 'x']);

    expect(code).toBe(2);
    expect(stderr).toMatch(/^smoke: no base URL\nusage: npm run smoke -- <base URL>/);
  });
});
