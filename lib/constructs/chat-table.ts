import { RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { envName } from '../../lambdas/config/settings-contract.js';
import { TableLayout } from '../../lambdas/adapters/table-layout.js';

/** The DynamoDB actions a function may be granted. Scan is deliberately not among them. */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

/**
 * The chat's one table (rooms, messages, connections), laid out as in
 * lambdas/adapters/table-layout.ts. On-demand, point-in-time recovery, TTL, and retained
 * when the stack is deleted: the data outlives any redeploy of the stateless parts.
 */
export class ChatTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TableLayout.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TableLayout.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TableLayout.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TableLayout.ownerIndex.name,
      partitionKey: { name: TableLayout.ownerIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TableLayout.ownerIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table.addLocalSecondaryIndex({
      indexName: TableLayout.timeIndex.name,
      sortKey: { name: TableLayout.timeIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  /** Points the function at the table and grants exactly these actions (table and indexes). */
  bind(fn: LambdaFunction & IGrantable, actions: readonly TableAction[]): void {
    fn.addEnvironment(envName('tableName'), this.table.tableName);
    this.table.grant(fn, ...actions.map((action) => `dynamodb:${action}`));
    const stack = Stack.of(this);
    const tableId = stack.resolve(stack.getLogicalId(this.table.node.defaultChild as CfnElement));
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
      reason: `Table.grant() covers this table's own indexes (${TableLayout.ownerIndex.name}, ${TableLayout.timeIndex.name}); the actions are listed one by one and never include Scan.`,
    });
  }
}
