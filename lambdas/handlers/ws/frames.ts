import type { ClientFrame } from '../../domain/messages.js';
import { isUuid } from '../../domain/validation.js';

/**
 * A client's WebSocket frame, from its text to what it asks for: the frame's JSON syntax and
 * field types are read here; what a message may hold (not blank, not too long) is the
 * domain's rule. A frame that is not one of the known shapes is `invalid`, with the reason
 * the client is told. `clientId` is the frame's valid client_id, whatever the frame, so an
 * error frame can carry it back.
 */
export function parseFrame(text: string | undefined): ClientFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    return { type: 'invalid', reason: 'Frame must be JSON.' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { type: 'invalid', reason: 'Frame must be a JSON object.' };
  const frame = parsed as Record<string, unknown>;
  const clientId = isUuid(frame.client_id) ? frame.client_id.toLowerCase() : undefined;
  const invalid = (reason: string): ClientFrame => ({ type: 'invalid', reason, ...(clientId ? { clientId } : {}) });
  if (Array.isArray(parsed)) return invalid('Frame must be a JSON object.');
  if ('type' in frame) {
    if (frame.type !== 'ping' && frame.type !== 'typing' && frame.type !== 'read') {
      return invalid('Unknown frame type; send {"message": "..."} or a "type" of "ping", "typing" or "read".');
    }
    if ('message' in frame) return invalid(`A ${frame.type} frame carries no message; send the message on its own.`);
    if (frame.type === 'read') {
      if (!isUuid(frame.message_id))
        return invalid('A read frame needs "message_id": the id of a message of this room.');
      return { type: 'read', messageId: frame.message_id.toLowerCase(), ...(clientId ? { clientId } : {}) };
    }
    return { type: frame.type, ...(clientId ? { clientId } : {}) };
  }
  if (!('message' in frame)) return invalid('Frame must have a "message" field.');
  if (typeof frame.message !== 'string') return invalid('message must be a string.');
  if (frame.client_id !== undefined && !clientId) return invalid('client_id must be a UUID.');
  return { type: 'message', message: frame.message, ...(clientId ? { clientId } : {}) };
}
