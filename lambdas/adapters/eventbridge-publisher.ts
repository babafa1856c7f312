import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { ChatEventPublisher, VisitorMessageEvent } from '../domain/ports.js';

/** `source` and `detail-type` of the push-hook event; documented in the README. */
export const CHAT_EVENT_SOURCE = 'carchat';
export const VISITOR_MESSAGE_DETAIL_TYPE = 'chat.visitor_message';

export class EventBridgePublisher implements ChatEventPublisher {
  private readonly client: EventBridgeClient;

  constructor(private readonly options: { eventBusName: string; client?: EventBridgeClient }) {
    this.client = options.client ?? new EventBridgeClient({});
  }

  async visitorMessagePosted(event: VisitorMessageEvent): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.options.eventBusName,
            Source: CHAT_EVENT_SOURCE,
            DetailType: VISITOR_MESSAGE_DETAIL_TYPE,
            Detail: JSON.stringify({
              room_id: event.roomId,
              owner_id: event.ownerId,
              message_id: event.messageId,
              preview: event.preview,
              owner_online: event.ownerOnline,
              created_at: event.createdAt,
              ...(event.unreadCount === undefined ? {} : { unread_count: event.unreadCount }),
            }),
          },
        ],
      }),
    );
    // PutEvents reports per-entry failures in a 200 response; surface them as errors.
    if (result.FailedEntryCount) {
      const entry = result.Entries?.find((e) => e.ErrorCode);
      throw new Error(
        `PutEvents rejected the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}
