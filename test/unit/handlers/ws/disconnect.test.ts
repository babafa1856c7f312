import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { environmentOf, envName } from '../../../../lambdas/config/settings-contract.js';
import { makeHandler } from '../../../../lambdas/handlers/ws/disconnect.route.js';
import { makeWorld, OWNER_A, ROOM_ID, seedRoom, type World } from '../../support/fixtures.js';
import { loadHandler } from '../../support/handler-env.js';
import { webSocketEvent } from '../../support/lambda-events.js';

/** The handler on the in-memory store, with one visitor socket in the room. */
let world: World;

const disconnectEvent = () => webSocketEvent({ routeKey: '$disconnect', connectionId: 'conn-1' });

beforeEach(async () => {
  world = makeWorld();
  seedRoom(world.store);
  await world.store.saveConnection(
    { connectionId: 'conn-1', identity: { kind: 'room', roomId: ROOM_ID, ownerId: OWNER_A, role: 'visitor' } },
    1,
  );
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('$disconnect', () => {
  it('forgets the connection and its room membership', async () => {
    const result = await makeHandler(world)(disconnectEvent());

    expect(result).toEqual({ statusCode: 200 });
    expect(world.store.connections.has('conn-1')).toBe(false);
    expect(await world.store.listRoomConnections(ROOM_ID)).toEqual([]);
  });

  it('answers 200 for a connection that was already cleaned up', async () => {
    const handler = makeHandler(world);
    await handler(disconnectEvent());

    expect(await handler(disconnectEvent())).toEqual({ statusCode: 200 });
  });

  it('answers an unexpected store failure with 500 and no internals', async () => {
    vi.spyOn(world.store, 'removeConnectionById').mockRejectedValue(
      new Error('ProvisionedThroughputExceededException on chat-table'),
    );

    expect(await makeHandler(world)(disconnectEvent())).toEqual({ statusCode: 500, body: 'Internal server error' });
  });
});

describe('the deployed entry point', () => {
  const load = (env: Record<string, string | undefined>) =>
    loadHandler(() => import('../../../../lambdas/handlers/ws/disconnect.js'), env).then((module) => module.handler);

  it('needs neither the callback URL nor the JWT settings', async () => {
    const unset = Object.fromEntries(
      Object.keys(environmentOf({ wsCallbackUrl: '-', jwtSecretArn: '-', wsUrlTemplate: '-' })).map((name) => [
        name,
        undefined,
      ]),
    );
    await expect(load(unset)).resolves.toBeTypeOf('function');
  });

  it('refuses to load without the table name, naming its variable', async () => {
    await expect(load({ [envName('tableName')]: undefined })).rejects.toThrow(`${envName('tableName')} is not set`);
  });
});
