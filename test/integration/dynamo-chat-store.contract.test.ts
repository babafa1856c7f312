import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChatStore, type DynamoChatStoreOptions } from '../../lambdas/adapters/dynamo-chat-store.js';
import type { ChatMessage, Room } from '../../lambdas/domain/model.js';
import type { Clock } from '../../lambdas/domain/ports.js';
import { ChatTable } from '../../lib/constructs/chat-table.js';
import { createTableInput, ensureTables, startDynamoDb, type LocalDynamoDb } from '../../local/dynamodb.js';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { chatStoreContract } from '../contract/chat-store-contract.js';
import { backendKind, localClientConfig } from './support/dynamodb-backend.js';

/**
 * DynamoChatStore keeps the ChatStore contract (test/contract) on the suite's DynamoDB engine
 * (dynalite, or DynamoDB Local under `npm run test:fidelity`), in a table created from the
 * same CDK construct that deploys it.
 */
const TABLE = 'ChatStoreContract';
const REGION = 'us-east-1';

let dynamoDb: LocalDynamoDb | undefined;
let client: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamoDb = backendKind() === 'dynamodb-local' ? await startDynamoDbLocal() : await startDynamoDb('memory');
  const stack = new Stack(new App(), 'ContractTable');
  new ChatTable(stack, 'Chat');
  const [[logicalId, table]] = Object.entries(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')) as [
    [string, { Properties: Record<string, unknown> }],
  ];
  await ensureTables(dynamoDb.endpoint, REGION, [
    { input: createTableInput({ logicalId, properties: table.Properties }, TABLE) },
  ]);
  client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(dynamoDb.endpoint, REGION)), {
    marshallOptions: { removeUndefinedValues: true },
  });
});

afterAll(async () => {
  client?.destroy();
  await dynamoDb?.stop();
});

const makeStore = (overrides: Partial<DynamoChatStoreOptions> = {}) =>
  new DynamoChatStore({
    tableName: TABLE,
    client,
    retention: { connectionSeconds: 3 * 3600 },
    limits: { messagesPerSecond: 5, startsPerMinute: 10, startsPerHourPerOwner: 30 },
    ...overrides,
  });

describe(`ChatStore contract: DynamoChatStore on ${backendKind()}`, () => {
  chatStoreContract({ make: (limits) => makeStore({ limits }) });
});

describe(`DynamoChatStore on ${backendKind()}: retention`, () => {
  /** A clock the test moves: expiry is judged by the store's clock, not the machine's. */
  class MovableClock implements Clock {
    constructor(public ms: number) {}
    now = () => new Date(this.ms);
  }
  const T0 = Date.parse('2026-03-01T10:00:00.000Z');
  const RETENTION = 60;

  it('leaves rooms and messages past their retention out of every read, by the injected clock, before TTL deletes them', async () => {
    const clock = new MovableClock(T0);
    const store = makeStore({
      clock,
      retention: { connectionSeconds: 3600, roomSeconds: RETENTION, messageSeconds: RETENTION },
    });
    const ownerId = randomUUID();
    const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
    const room: Room = {
      id: randomUUID(),
      ownerId,
      visitorName: 'Aziz',
      isActive: true,
      createdAt: iso(0),
      updatedAt: iso(0),
      visitorTokenHash: 'a'.repeat(64),
    };
    await store.createRoom(room);
    const message = (second: number): ChatMessage => ({
      id: randomUUID(),
      roomId: room.id,
      senderType: 'visitor',
      content: `m${second}`,
      createdAt: iso(second),
    });
    // Ten that expire first, then two that are kept a little longer.
    const early = Array.from({ length: 10 }, (_, i) => message(i));
    const late = [message(30), message(31)];
    for (const m of [...early, ...late]) await store.putMessage(m);
    // A message touches the room, which renews its expiry with its activity.
    const touching = message(50);
    await store.touchRoom(touching, 100);

    clock.ms = T0 + (RETENTION + 10) * 1000;
    await expect(store.getRoom(room.id)).resolves.toEqual({
      ...room,
      updatedAt: iso(50),
      sentBy: { visitor: 1 },
      lastMessage: { id: touching.id, senderType: 'visitor', content: touching.content, createdAt: iso(50) },
    });
    await expect(store.getMessage(room.id, early[0]!.id)).resolves.toBeUndefined();
    await expect(store.getMessage(room.id, late[0]!.id)).resolves.toEqual(late[0]);
    await expect(store.listMessages(room.id, {})).resolves.toEqual({ messages: late, more: false });
    // Reading forward with a limit pages past the expired ones (each page asks for Limit items).
    await expect(store.listMessages(room.id, { after: early[0], limit: 1 })).resolves.toEqual({
      messages: [late[0]],
      more: true,
    });

    clock.ms = T0 + (50 + RETENTION - 1) * 1000;
    await expect(store.getRoom(room.id)).resolves.toMatchObject({ updatedAt: iso(50) });
    clock.ms = T0 + (50 + RETENTION) * 1000;
    await expect(store.getRoom(room.id)).resolves.toBeUndefined();
    await expect(store.listRoomsByOwner(ownerId)).resolves.toEqual([]);
    await expect(store.listMessages(room.id, {})).resolves.toEqual({ messages: [], more: false });
  });
});
