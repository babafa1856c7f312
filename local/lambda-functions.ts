import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionDefinition } from './cloud-assembly.js';
import { LocalStackError } from './errors.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export class LambdaFunctionError extends Error {
  override readonly name = 'LambdaFunctionError';
}

/** One deployed function, loaded from its bundle in cdk.out and invoked like Lambda does. */
export class LocalFunction {
  private constructor(
    readonly definition: FunctionDefinition,
    private readonly handler: Handler,
    private readonly region: string,
  ) {}

  /** Imports the bundle; the process environment must already hold the function's settings. */
  static async load(definition: FunctionDefinition, region: string): Promise<LocalFunction> {
    let module: Record<string, unknown>;
    try {
      // Lambda runs the bundle untouched; vitest must leave it alone too (server.deps.external
      // lists cdk.out in vitest.config.ts), so Node itself imports it.
      module = (await import(/* @vite-ignore */ pathToFileURL(definition.modulePath).href)) as Record<string, unknown>;
    } catch (error) {
      throw new LocalStackError(
        `Function ${definition.logicalId} failed to load (${definition.modulePath}): ${(error as Error).message}`,
      );
    }
    const handler = module[definition.exportName];
    if (typeof handler !== 'function') {
      throw new LocalStackError(
        `Function ${definition.logicalId}: its bundle exports no function '${definition.exportName}' (Handler in the template)`,
      );
    }
    return new LocalFunction(definition, handler as Handler, region);
  }

  /**
   * Event and result cross a JSON boundary as they do in Lambda (undefined fields vanish,
   * dates become strings). A run longer than the function's timeout fails like Lambda's
   * "Task timed out", though locally the promise cannot be stopped.
   */
  async invoke(event: unknown): Promise<unknown> {
    const { logicalId, timeoutSeconds, memoryMb } = this.definition;
    const requestId = randomUUID();
    const deadline = Date.now() + timeoutSeconds * 1000;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: logicalId,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:000000000000:function:${logicalId}`,
      memoryLimitInMB: String(memoryMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${logicalId}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaFunctionError(`${logicalId}: Task timed out after ${timeoutSeconds} seconds`)),
        timeoutSeconds * 1000,
      );
    });
    try {
      const result = await Promise.race([this.handler(JSON.parse(JSON.stringify(event)), context), timeout]);
      return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw error;
      throw new LambdaFunctionError(
        `${logicalId} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
