import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localClientConfig } from '../../local/dynamodb.js';

/**
 * The DynamoDB emulators and table creation are the local stack's (local/dynamodb.ts:
 * startDynamoDb('memory'), createTableInput, ensureTables; local/dynamodb-local.ts:
 * startDynamoDbLocal); these are the benchmark's clients of them.
 */

/** The region the benchmark's clients and tables use. */
export const REGION = 'us-east-1';

export const lowLevelClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ ...localClientConfig(endpoint, REGION), maxAttempts: 1 });

/** The document client as the store's default one is configured, at another endpoint. */
export const documentClient = (endpoint: string): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(lowLevelClient(endpoint), { marshallOptions: { removeUndefinedValues: true } });
