import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway } from '../domain/ports.js';

/** SDK v3 errors carry `name`, not the v2 `statusCode` that many samples still test. */
const isGone = (error: unknown): boolean =>
  error instanceof GoneException || (error as { name?: string } | null)?.name === 'GoneException';

/**
 * ConnectionGateway over the API Gateway management API. The endpoint is the stage's
 * execute-api callback URL handed in by the stack: posting through a custom domain or
 * CloudFront does not reach the management API.
 */
export class ManagementApiGateway implements ConnectionGateway {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(options: { endpoint: string; client?: ApiGatewayManagementApiClient }) {
    this.client = options.client ?? new ApiGatewayManagementApiClient({ endpoint: options.endpoint });
  }

  async send(connectionId: string, payload: unknown): Promise<'sent' | 'gone'> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(payload)) }),
      );
      return 'sent';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  async disconnect(connectionId: string): Promise<'closed' | 'gone'> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      return 'closed';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }
}
