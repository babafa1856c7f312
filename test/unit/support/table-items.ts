import type { ChatMessage } from '../../../lambdas/domain/model.js';
import { hashVisitorToken } from '../../../lambdas/domain/visitor-token.js';
import { OWNER_A, ROOM_ID, VISITOR_TOKEN } from './fixtures.js';

/** DynamoDB items as DynamoChatStore writes them (see lambdas/adapters/table-layout.ts). */
export const roomItem = (overrides: Record<string, unknown> = {}) => {
  const id = (overrides.id as string | undefined) ?? ROOM_ID;
  const ownerId = (overrides.owner_id as string | undefined) ?? OWNER_A;
  const updatedAt = (overrides.updated_at as string | undefined) ?? '2026-02-05T11:00:00.000Z';
  return {
    pk: `ROOM#${id}`,
    sk: 'ROOM',
    id,
    owner_id: ownerId,
    visitor_name: 'Aziz',
    is_active: true,
    created_at: '2026-02-05T11:00:00.000Z',
    updated_at: updatedAt,
    visitor_token_hash: hashVisitorToken(VISITOR_TOKEN),
    gsi1pk: `OWNER#${ownerId}`,
    gsi1sk: `2026-02-05T11:00:00.000Z#${id}`,
    ...overrides,
  };
};

export const messageItem = (message: ChatMessage, overrides: Record<string, unknown> = {}) => ({
  pk: `ROOM#${message.roomId}`,
  sk: `MSG#${message.id}`,
  id: message.id,
  room_id: message.roomId,
  sender_type: message.senderType,
  content: message.content,
  created_at: message.createdAt,
  lsi1sk: `${message.createdAt}#${message.id}`,
  ...(message.clientId ? { client_id: message.clientId } : {}),
  ...overrides,
});

export const connectionItem = (connectionId: string, overrides: Record<string, unknown> = {}) => ({
  pk: `CONN#${connectionId}`,
  sk: 'CONN',
  connection_id: connectionId,
  kind: 'room',
  role: 'visitor',
  owner_id: OWNER_A,
  room_id: ROOM_ID,
  ...overrides,
});
