import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../lambdas/adapters/eventbridge-publisher.js';
import type { VisitorMessageEvent } from '../../../lambdas/domain/ports.js';
import { OWNER_A, ROOM_ID, UNKNOWN_UUID } from '../support/fixtures.js';

const eventBridge = mockClient(EventBridgeClient);
const publisher = () => new EventBridgePublisher({ eventBusName: 'chat-bus' });

const event: VisitorMessageEvent = {
  roomId: ROOM_ID,
  ownerId: OWNER_A,
  messageId: UNKNOWN_UUID,
  preview: 'Salom',
  ownerOnline: false,
  createdAt: '2026-02-05T11:06:00.000Z',
};

beforeEach(() => {
  eventBridge.reset();
});

describe('EventBridgePublisher', () => {
  it('puts one event on the bus with the source, detail-type and snake_case detail', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await publisher().visitorMessagePosted(event);

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entries = calls[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'chat-bus',
      Source: 'carchat',
      DetailType: 'chat.visitor_message',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '')).toEqual({
      room_id: ROOM_ID,
      owner_id: OWNER_A,
      message_id: UNKNOWN_UUID,
      preview: 'Salom',
      owner_online: false,
      created_at: '2026-02-05T11:06:00.000Z',
    });
  });

  it('throws when EventBridge reports a failed entry in a 200 response', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });

    await expect(publisher().visitorMessagePosted(event)).rejects.toThrow(
      'PutEvents rejected the event: ThrottlingException Rate exceeded',
    );
  });

  it('throws even when the failed entry carries no details', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1 });

    await expect(publisher().visitorMessagePosted(event)).rejects.toThrow('PutEvents rejected the event: unknown');
  });

  it('passes an SDK failure on', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('AccessDenied'));

    await expect(publisher().visitorMessagePosted(event)).rejects.toThrow('AccessDenied');
  });
});
