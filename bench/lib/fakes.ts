import type { ChatMetrics, ConnectionGateway, OwnerTokenVerifier } from '../../lambdas/domain/ports.js';
import type { Logger } from '../../lambdas/shared/logger.js';

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
export const uncountedMetrics: ChatMetrics = { count() {} };

/**
 * Owner tokens for in-process runs: the token is the owner id. In Lambda the JWT check is CPU
 * only once the signing secret is cached (one Secrets Manager read per cold start), so this
 * leaves out nothing a warm invocation does over the network.
 */
export const tokenIsOwnerId: OwnerTokenVerifier = { verify: async (token) => token.toLowerCase() };

export interface PostRecord {
  connectionId: string;
  payload: unknown;
  start: number;
  end: number;
}

/**
 * The management API as a fake that answers after `delayMs` (0: at once), recording every
 * post on the performance clock, so a post counts as one round trip like a DynamoDB call.
 */
export class RecordingGateway implements ConnectionGateway {
  readonly posts: PostRecord[] = [];
  private readonly waiters: { connectionId: string; resolve: (record: PostRecord) => void }[] = [];

  constructor(private readonly delayMs = 0) {}

  async send(connectionId: string, payload: unknown): Promise<'sent' | 'gone'> {
    const start = performance.now();
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const record = { connectionId, payload, start, end: performance.now() };
    this.posts.push(record);
    for (const waiter of this.waiters.filter((w) => w.connectionId === connectionId)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(record);
    }
    return 'sent';
  }

  async disconnect(): Promise<'closed'> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return 'closed';
  }

  /** Resolves when the next post to this connection has completed (the client has it). */
  nextPostTo(connectionId: string): Promise<PostRecord> {
    return new Promise((resolve) => this.waiters.push({ connectionId, resolve }));
  }

  reset(): void {
    this.posts.length = 0;
  }
}

/** A connection id shaped like API Gateway's (12 random bytes, base64: 16 characters). */
export const connectionIdLike = (seed: number, prefix = ''): string =>
  Buffer.from(`${prefix}${seed.toString(36).padStart(12 - prefix.length, '0')}`.slice(0, 12)).toString('base64');
