import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The document client and the table the store's parts (repository, rate limiter, paging) send to. */
export interface TableClient {
  /** Must marshall with `removeUndefinedValues` (as defaultDocumentClient does): optional fields are written as undefined. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The DynamoDB document client, created once per module and shared by every store. */
export const defaultDocumentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });

/** A conditional write refused by its condition (by class, or by name when another copy of the SDK threw it). */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
