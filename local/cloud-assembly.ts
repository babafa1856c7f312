import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStackError } from './errors.js';
import { readFrontDoor, type FrontDoorRules } from './front-door.js';
import { readCorsRules, type CorsRules } from './http-cors.js';

/**
 * What the local gateway serves, read from the synthesized CloudFormation template and
 * nothing else (like `sam local`): the functions with their bundles, handlers and
 * environments, the routes of both APIs and the functions behind them, the WebSocket stage,
 * the tables and the secrets. Anything the template says that this model cannot represent
 * fails here, with the resource named, rather than being served differently.
 */

export type Template = {
  Resources?: Record<string, TemplateResource>;
  Parameters?: Record<string, unknown>;
};

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface FunctionDefinition {
  logicalId: string;
  /** The function's asset directory (cdk.out/asset.<hash>). */
  assetDir: string;
  /** Absolute path of the bundle's module file (cdk.out/asset.<hash>/index.mjs). */
  modulePath: string;
  /** Name of the export to call, from Properties.Handler ('index.handler' → 'handler'). */
  exportName: string;
  description?: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** 'arm64' or 'x86_64' (Lambda's default). */
  architecture: string;
  runtime: string;
  /** Environment.Variables as written in the template: strings or intrinsics. */
  environment: Record<string, unknown>;
  /** IAM actions the policies attached to the function's role grant, sorted (logs:* excluded). */
  actions: string[];
}

export interface ApiRoute {
  routeKey: string;
  functionId: string;
  logicalId: string;
}

export interface HttpApiDefinition {
  logicalId: string;
  routes: ApiRoute[];
  /** Its CorsConfiguration; undefined when the API has none. */
  cors?: CorsRules;
}

export interface WebSocketApiDefinition {
  logicalId: string;
  stageName: string;
  routeSelectionExpression: string;
  routes: ApiRoute[];
}

export interface TableDefinition {
  logicalId: string;
  /** A literal TableName from the template, if it sets one. */
  tableName?: string;
  properties: Record<string, unknown>;
}

export interface CloudAssembly {
  templatePath: string;
  /** The template as parsed, for a reader that needs more than this model (the bench's costs). */
  template: Template;
  functions: Map<string, FunctionDefinition>;
  httpApi: HttpApiDefinition;
  webSocketApi: WebSocketApiDefinition;
  tables: TableDefinition[];
  secrets: string[];
  /** The CloudFront distribution in front of both APIs; undefined with frontDoor=false. */
  frontDoor?: FrontDoorRules;
  /** Logical id → resource type, for resolving Refs. */
  resourceTypes: Map<string, string>;
}

const MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs'];

export function readTemplate(templatePath: string): Template {
  try {
    return JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  } catch (error) {
    throw new LocalStackError(`Cannot read ${templatePath}: ${(error as Error).message}`);
  }
}

/** Parses `<assemblyDir>/<stackName>.template.json`. */
export function readCloudAssembly(assemblyDir: string, stackName: string): CloudAssembly {
  const templatePath = join(assemblyDir, `${stackName}.template.json`);
  return parseTemplate(readTemplate(templatePath), { assemblyDir, templatePath });
}

export function parseTemplate(template: Template, where: { assemblyDir: string; templatePath: string }): CloudAssembly {
  const resources = template.Resources ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const resourceTypes = new Map(Object.entries(resources).map(([id, r]) => [id, r.Type]));

  const functions = new Map<string, FunctionDefinition>();
  for (const [logicalId, resource] of ofType('AWS::Lambda::Function')) {
    functions.set(logicalId, parseFunction(logicalId, resource, where.assemblyDir, resources));
  }

  const apis = ofType('AWS::ApiGatewayV2::Api');
  const httpApis = apis.filter(([, r]) => r.Properties?.ProtocolType === 'HTTP');
  const webSocketApis = apis.filter(([, r]) => r.Properties?.ProtocolType === 'WEBSOCKET');
  if (httpApis.length !== 1 || webSocketApis.length !== 1) {
    throw new LocalStackError(
      `The local gateway serves one HTTP API and one WebSocket API; the template has ${httpApis.length} and ${webSocketApis.length}`,
    );
  }
  const [httpApiId, httpApi] = httpApis[0]!;
  const [webSocketApiId, webSocketApi] = webSocketApis[0]!;

  const stagesOf = (apiId: string) =>
    ofType('AWS::ApiGatewayV2::Stage').filter(([, r]) => refTo(r.Properties?.ApiId) === apiId);
  const httpStages = stagesOf(httpApiId);
  if (httpStages.length !== 1 || httpStages[0]![1].Properties?.StageName !== '$default') {
    throw new LocalStackError(`HTTP API ${httpApiId}: the local gateway serves exactly one stage, named $default`);
  }
  const wsStages = stagesOf(webSocketApiId);
  const stageName = wsStages[0]?.[1].Properties?.StageName;
  if (wsStages.length !== 1 || typeof stageName !== 'string') {
    throw new LocalStackError(`WebSocket API ${webSocketApiId}: expected exactly one stage with a literal StageName`);
  }

  const routesOf = (apiId: string, requirePayloadV2: boolean): ApiRoute[] =>
    ofType('AWS::ApiGatewayV2::Route')
      .filter(([, r]) => refTo(r.Properties?.ApiId) === apiId)
      .map(([logicalId, route]) => {
        const routeKey = route.Properties?.RouteKey;
        if (typeof routeKey !== 'string') throw new LocalStackError(`Route ${logicalId}: RouteKey is not a literal`);
        const integrationId = integrationOf(logicalId, route.Properties?.Target);
        const integration = resources[integrationId];
        if (integration?.Type !== 'AWS::ApiGatewayV2::Integration') {
          throw new LocalStackError(`Route ${logicalId}: target ${integrationId} is not an integration`);
        }
        const props = integration.Properties ?? {};
        if (props.IntegrationType !== 'AWS_PROXY') {
          throw new LocalStackError(`Integration ${integrationId}: only AWS_PROXY (Lambda proxy) is served locally`);
        }
        if (requirePayloadV2 && props.PayloadFormatVersion !== '2.0') {
          throw new LocalStackError(`Integration ${integrationId}: only payload format 2.0 is served locally`);
        }
        const functionId = lambdaFunctionIn(props.IntegrationUri, resources);
        if (!functionId || !functions.has(functionId)) {
          throw new LocalStackError(
            `Integration ${integrationId}: its IntegrationUri names no Lambda function of the template`,
          );
        }
        return { routeKey, functionId, logicalId };
      });

  const tables = ofType('AWS::DynamoDB::Table').map(([logicalId, resource]) => {
    const tableName = resource.Properties?.TableName;
    if (tableName !== undefined && typeof tableName !== 'string') {
      throw new LocalStackError(`Table ${logicalId}: TableName must be a literal to be created locally`);
    }
    return { logicalId, tableName, properties: resource.Properties ?? {} };
  });

  return {
    templatePath: where.templatePath,
    template,
    functions,
    httpApi: { logicalId: httpApiId, routes: routesOf(httpApiId, true), cors: readCorsRules(httpApiId, httpApi) },
    webSocketApi: {
      logicalId: webSocketApiId,
      stageName,
      routeSelectionExpression: String(webSocketApi.Properties?.RouteSelectionExpression ?? '$request.body.action'),
      routes: routesOf(webSocketApiId, false),
    },
    tables,
    secrets: ofType('AWS::SecretsManager::Secret').map(([logicalId]) => logicalId),
    frontDoor: readFrontDoor(template),
    resourceTypes,
  };
}

function parseFunction(
  logicalId: string,
  resource: TemplateResource,
  assemblyDir: string,
  resources: Record<string, TemplateResource>,
): FunctionDefinition {
  const assetPath = resource.Metadata?.['aws:asset:path'];
  const handler = resource.Properties?.Handler;
  if (typeof assetPath !== 'string') {
    throw new LocalStackError(
      `Function ${logicalId}: no 'aws:asset:path' metadata, so its code is not in the cloud assembly`,
    );
  }
  if (typeof handler !== 'string' || !/^[\w./-]+\.[A-Za-z_$][\w$]*$/.test(handler)) {
    throw new LocalStackError(
      `Function ${logicalId}: Handler ${JSON.stringify(handler)} is not of the form file.export`,
    );
  }
  const dot = handler.lastIndexOf('.');
  const moduleBase = join(assemblyDir, assetPath, handler.slice(0, dot));
  const modulePath = MODULE_EXTENSIONS.map((ext) => moduleBase + ext).find((path) => existsSync(path));
  if (!modulePath) {
    throw new LocalStackError(
      `Function ${logicalId}: no ${handler.slice(0, dot)}.mjs/.js/.cjs in ${join(assemblyDir, assetPath)}`,
    );
  }
  const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables;
  const architectures = resource.Properties?.Architectures;
  return {
    logicalId,
    assetDir: join(assemblyDir, assetPath),
    modulePath,
    exportName: handler.slice(dot + 1),
    description: typeof resource.Properties?.Description === 'string' ? resource.Properties.Description : undefined,
    timeoutSeconds: Number(resource.Properties?.Timeout ?? 3),
    memoryMb: Number(resource.Properties?.MemorySize ?? 128),
    architecture: String((Array.isArray(architectures) && architectures[0]) || 'x86_64'),
    runtime: String(resource.Properties?.Runtime ?? ''),
    environment: variables ?? {},
    actions: roleActions(resource.Properties?.Role, resources),
  };
}

/** The actions of every IAM policy attached to the role (`Fn::GetAtt [role, Arn]`). */
function roleActions(role: unknown, resources: Record<string, TemplateResource>): string[] {
  const getAtt = (role as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  const roleId = Array.isArray(getAtt) ? getAtt[0] : undefined;
  if (typeof roleId !== 'string') return [];
  const actions = new Set<string>();
  for (const policy of Object.values(resources)) {
    if (policy.Type !== 'AWS::IAM::Policy') continue;
    const props = policy.Properties as {
      Roles?: unknown[];
      PolicyDocument?: { Statement?: { Action?: string | string[] }[] };
    };
    if (!props.Roles?.some((r) => refTo(r) === roleId)) continue;
    for (const statement of props.PolicyDocument?.Statement ?? []) {
      for (const action of [statement.Action ?? []].flat()) if (!action.startsWith('logs:')) actions.add(action);
    }
  }
  return [...actions].sort();
}

/** `{ Ref: X }` → X. */
export function refTo(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}

/** A route's Target is `integrations/<IntegrationId>`, written by CDK as a Fn::Join. */
function integrationOf(routeId: string, target: unknown): string {
  const join = (target as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (join && join[0] === '' && join[1]?.length === 2 && join[1][0] === 'integrations/') {
    const id = refTo(join[1][1]);
    if (id) return id;
  }
  throw new LocalStackError(`Route ${routeId}: Target ${JSON.stringify(target)} is not integrations/<Ref>`);
}

/** The Lambda function an IntegrationUri points at: the Fn::GetAtt [fn, Arn] inside it. */
function lambdaFunctionIn(value: unknown, resources: Record<string, TemplateResource>): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = lambdaFunctionIn(item, resources);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (
    Array.isArray(getAtt) &&
    getAtt[1] === 'Arn' &&
    resources[getAtt[0] as string]?.Type === 'AWS::Lambda::Function'
  ) {
    return getAtt[0] as string;
  }
  for (const nested of Object.values(value)) {
    const found = lambdaFunctionIn(nested, resources);
    if (found) return found;
  }
  return undefined;
}
