import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ORIGIN_VERIFY_HEADER } from '../lambdas/shared/origin-verify.js';
import type { ApiRoute, CloudAssembly, FunctionDefinition, WebSocketApiDefinition } from './cloud-assembly.js';
import { createTableInput } from './dynamodb.js';
import { localApiVariables, resolveEnvironment, type LocalValues } from './environment.js';
import { LocalStackError } from './errors.js';
import type { FrontDoorRules } from './front-door.js';
import type { CorsRules } from './http-cors.js';
import { envName } from '../lambdas/config/settings-contract.js';

/**
 * What the local stack serves, decided from the synthesized template alone: the functions,
 * both APIs' routes, the functions' environment, the tables, the secrets, the front door and
 * CORS. A pure function of the cloud assembly and the options: it starts nothing, writes
 * nothing and reads no process state, so every refusal (the drift guard included) happens
 * here, before anything runs, and can be tested without a server. local-stack.ts runs it.
 */

export interface LocalStackPlanOptions {
  stackName: string;
  region: string;
  /** The stack's ARN (its `AWS::StackId`), unique per start. */
  stackId: string;
  /**
   * Values for variables the template already gives the functions, like `sam local
   * --env-vars`. A name no function has is refused.
   */
  environment?: Record<string, string>;
}

export interface PlannedTable {
  logicalId: string;
  tableName: string;
  input: CreateTableCommandInput;
}

export interface LocalStackPlan {
  stackName: string;
  region: string;
  functions: FunctionDefinition[];
  httpApi: { logicalId: string; routes: ApiRoute[]; cors?: CorsRules };
  webSocketApi: WebSocketApiDefinition;
  tables: PlannedTable[];
  /** The ARN each of the template's secrets has locally. */
  secretArns: string[];
  /** The CloudFront distribution to play, with the headers it adds to origin requests. */
  frontDoor?: { rules: FrontDoorRules; originHeaders: Record<string, string> };
  /**
   * The functions' variables once the loopback services server listens at `servicesUrl`:
   * the template's, resolved to local values, then the overrides.
   */
  environment(servicesUrl: string): Record<string, string>;
}

/** Variables the local stack sets itself, whatever the template says. */
export const LOCAL_OVERRIDES: ReadonlySet<string> = new Set([envName('logLevel')]);
export const LOCAL_ACCOUNT = '000000000000';
/** Where the services server will listen is not known yet when the plan is checked. */
const PLACEHOLDER_SERVICES_URL = 'http://127.0.0.1:0';

export function planLocalStack(assembly: CloudAssembly, options: LocalStackPlanOptions): LocalStackPlan {
  const { stackName, region } = options;
  const tableNames = Object.fromEntries(
    assembly.tables.map((t) => [t.logicalId, t.tableName ?? `${stackName}-${t.logicalId}`]),
  );
  const secretArns = Object.fromEntries(
    assembly.secrets.map((id) => [
      id,
      `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${stackName}-${id}-local`,
    ]),
  );
  const localValues = (servicesUrl: string): LocalValues => ({
    region,
    accountId: LOCAL_ACCOUNT,
    stackName,
    stackId: options.stackId,
    refs: { ...tableNames, ...secretArns },
    byName: localApiVariables(servicesUrl),
  });
  const environment = (servicesUrl: string) => ({
    ...resolveEnvironment(assembly, localValues(servicesUrl), LOCAL_OVERRIDES).merged,
    ...options.environment,
  });

  // The drift guard: every variable resolves, and overrides name only existing ones.
  const templateVariables = resolveEnvironment(assembly, localValues(PLACEHOLDER_SERVICES_URL), LOCAL_OVERRIDES).merged;
  const unknown = Object.keys(options.environment ?? {}).filter((name) => !(name in templateVariables));
  if (unknown.length > 0) {
    throw new LocalStackError(
      `No function of the template has the variable(s) ${unknown.join(', ')}; only existing ones can be overridden`,
    );
  }

  return {
    stackName,
    region,
    functions: [...assembly.functions.values()],
    httpApi: assembly.httpApi,
    webSocketApi: assembly.webSocketApi,
    tables: assembly.tables.map((t) => ({
      logicalId: t.logicalId,
      tableName: tableNames[t.logicalId]!,
      input: createTableInput(t, tableNames[t.logicalId]!),
    })),
    secretArns: Object.values(secretArns),
    frontDoor: assembly.frontDoor && {
      rules: assembly.frontDoor,
      originHeaders: originHeaders(environment(PLACEHOLDER_SERVICES_URL)),
    },
    environment,
  };
}

/**
 * The distribution's per-stack origin-verify header: its value is an intrinsic in the
 * template, which the functions get resolved, so the local front door takes it from them.
 */
function originHeaders(environment: Record<string, string>): Record<string, string> {
  const secret = environment[envName('originVerifySecret')];
  if (!secret)
    throw new LocalStackError('The template has a CloudFront front door but no function has ORIGIN_VERIFY_SECRET');
  return { [ORIGIN_VERIFY_HEADER]: secret };
}
