import type { ChatEventPublisher, VisitorMessageEvent } from '../../../lambdas/domain/ports.js';

export class RecordingEventPublisher implements ChatEventPublisher {
  readonly published: VisitorMessageEvent[] = [];
  failWith?: Error;

  async visitorMessagePosted(event: VisitorMessageEvent): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push(event);
  }
}
