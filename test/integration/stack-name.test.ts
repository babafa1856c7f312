import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageFunction, readAssembly } from '../../bench/lib/assembly.js';
import { ensureSynthesized, synthesizedStackName } from '../../local/synth.js';
import { useLocalStack } from './support/local-stack-fixture.js';
import { openSocket } from './support/ws-client.js';

/**
 * The `stackName` setting names the stack bin/app.ts synthesizes; the local stack and the
 * bench find that stack in the cloud assembly instead of assuming the default name.
 */
const STACK_NAME = 'ChatStaging';
const assemblyDir = mkdtempSync(join(tmpdir(), 'carchat-stack-name-'));

// Registered before the fixture's, so the assembly exists when the stack starts.
beforeAll(async () => {
  await ensureSynthesized({ assemblyDir, context: { stackName: STACK_NAME }, log: () => undefined });
});
const local = useLocalStack({ assemblyDir, synth: false });
afterAll(() => rmSync(assemblyDir, { recursive: true, force: true }));

describe('a non-default stackName', () => {
  it('is the one stack of the cloud assembly', () => {
    expect(synthesizedStackName(assemblyDir)).toBe(STACK_NAME);
  });

  it('is served by the local stack, its resources named after it', async () => {
    expect(Object.values(local.stack.served.tables)).toEqual([expect.stringMatching(new RegExp(`^${STACK_NAME}-`))]);
    expect(local.stack.served.environment.JWT_SECRET_ARN).toContain(`:secret:${STACK_NAME}-`);
    const room = await local.api.startChat(randomUUID());
    const visitor = await openSocket(`${room.ws_url}?visitor=${room.visitor_token}`);
    visitor.ws.close();
  });

  it("is read by the bench, which finds the stack's functions", () => {
    const assembly = readAssembly(assemblyDir);
    expect(assembly.functions.length).toBe(Object.keys(local.stack.served.functions).length);
    expect(assembly.functions.every((fn) => fn.bundlePath.startsWith(assemblyDir))).toBe(true);
    const served = local.stack.served.webSocketRoutes.find((route) => route.routeKey === '$default');
    expect(messageFunction(assembly).logicalId).toBe(served?.functionId);
    // The role's table actions, read from the template's policies.
    expect(messageFunction(assembly).actions).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'execute-api:ManageConnections']),
    );
  });
});
