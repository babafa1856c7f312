import type { ConnectionGateway } from '../../../lambdas/domain/ports.js';
import type { Timeline } from './in-memory-chat-store.js';

export interface SentFrame {
  connectionId: string;
  /** The payload as the client receives it: serialized to JSON and parsed back. */
  payload: unknown;
}

/**
 * ConnectionGateway that records every frame. Connections can be marked gone (send resolves
 * 'gone', as the adapter does on GoneException) or failing (send rejects with that error).
 */
export class RecordingGateway implements ConnectionGateway {
  readonly sent: SentFrame[] = [];
  readonly disconnected: string[] = [];
  readonly gone = new Set<string>();
  readonly failing = new Map<string, Error>();

  constructor(readonly timeline: Timeline = []) {}

  async send(connectionId: string, payload: unknown): Promise<'sent' | 'gone'> {
    this.timeline.push(`gateway.send:${connectionId}`);
    const failure = this.failing.get(connectionId);
    if (failure) throw failure;
    if (this.gone.has(connectionId)) return 'gone';
    this.sent.push({ connectionId, payload: JSON.parse(JSON.stringify(payload)) });
    return 'sent';
  }

  /** Connections whose next disconnects answer 'gone' (a socket whose $connect is still running), by count. */
  readonly notYetConnected = new Map<string, number>();

  async disconnect(connectionId: string): Promise<'closed' | 'gone'> {
    this.timeline.push(`gateway.disconnect:${connectionId}`);
    const pending = this.notYetConnected.get(connectionId) ?? 0;
    if (pending > 0) {
      this.notYetConnected.set(connectionId, pending - 1);
      return 'gone';
    }
    this.disconnected.push(connectionId);
    return 'closed';
  }

  /** Payloads delivered to one connection, in order. */
  framesTo(connectionId: string): unknown[] {
    return this.sent.filter((frame) => frame.connectionId === connectionId).map((frame) => frame.payload);
  }

  /** Connection ids that received at least one frame, sorted. */
  recipients(): string[] {
    return [...new Set(this.sent.map((frame) => frame.connectionId))].sort();
  }
}
