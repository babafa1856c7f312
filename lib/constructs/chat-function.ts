import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { SERVICE_NAME } from '../../lambdas/shared/metric-names.js';
import { BUNDLE_ALIASES, BUNDLE_TARGET, ESM_REQUIRE_BANNER } from '../lambda-bundling.js';
import { environmentOf, SETTINGS } from '../../lambdas/config/settings-contract.js';

export interface ChatFunctionProps {
  /** Handler file, relative to lambdas/handlers (e.g. 'http/start-chat.ts'). */
  handlerFile: string;
  description: string;
  logRetention: RetentionDays;
  environment?: Record<string, string>;
}

export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/**
 * One Lambda of the chat, built the same way every time: the newest Node.js runtime, arm64,
 * an ESM bundle made by the local esbuild (no Docker) that includes the AWS SDK clients it
 * imports (bundled clients initialise faster than the runtime's copy and are pinned by our
 * lockfile) with the credential chain reduced to the environment provider, minified with
 * source maps, and a log group with a retention period.
 */
export class ChatFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role that may write to its own log group only, instead of the managed
    // AWSLambdaBasicExecutionRole (which allows writing to any log group).
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: fileURLToPath(new URL(`../../lambdas/handlers/${props.handlerFile}`, import.meta.url)),
      handler: 'handler',
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...environmentOf({ serviceName: SERVICE_NAME, logLevel: SETTINGS.logLevel.default }),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [],
        metafile: true,
        banner: ESM_REQUIRE_BANNER,
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
      },
    });
  }
}
