import { startDynamoDbLocal } from '../../../local/dynamodb-local.js';

/** Config for an AWS SDK client of a local endpoint (DynamoDB, the management API): any credentials do. */
export { localClientConfig } from '../../../local/dynamodb.js';

/**
 * Which DynamoDB the integration suite runs against. `npm test` runs the suite twice:
 * once on dynalite (the local stack's default) and once with CHAT_TEST_DYNAMODB=dynamodb-local
 * on AWS's official DynamoDB Local (Java 17+), so a difference between them shows up as a
 * failing test rather than as a surprise in production.
 */
export type BackendKind = 'dynalite' | 'dynamodb-local';

export interface DynamoDbBackend {
  kind: BackendKind;
  /** What to hand startLocalStack({ dynamodb }). */
  dynamodb: 'memory' | { endpoint: string };
  stop(): Promise<void>;
}

export const backendKind = (): BackendKind =>
  process.env.CHAT_TEST_DYNAMODB === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

export async function startDynamoDbBackend(): Promise<DynamoDbBackend> {
  if (backendKind() === 'dynalite') return { kind: 'dynalite', dynamodb: 'memory', stop: async () => {} };
  const dynamoDbLocal = await startDynamoDbLocal();
  return { kind: 'dynamodb-local', dynamodb: { endpoint: dynamoDbLocal.endpoint }, stop: dynamoDbLocal.stop };
}
