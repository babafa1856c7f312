import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CHAT_FUNCTIONS, type ChatFunctionDeclaration, type ChatFunctionName } from '../functions.js';
import { ChatFunction } from './chat-function.js';

export interface ChatHandlersProps {
  logRetention: RetentionDays;
  /** Settings every handler reads (the store's retention and limits). */
  environment: Record<string, string>;
}

/** One deployed function and the declaration it was built from. */
export interface DeclaredFunction {
  name: ChatFunctionName;
  declaration: ChatFunctionDeclaration;
  fn: ChatFunction;
}

/**
 * The Lambdas of lib/functions.ts, one per route. Each is its own bundle so it carries only
 * the clients it imports; the stack grants each what its declaration says.
 */
export class ChatHandlers extends Construct {
  readonly functions: { readonly [N in ChatFunctionName]: ChatFunction };
  readonly declared: readonly DeclaredFunction[];

  constructor(scope: Construct, id: string, props: ChatHandlersProps) {
    super(scope, id);
    this.declared = (Object.keys(CHAT_FUNCTIONS) as ChatFunctionName[]).map((name) => {
      const declaration: ChatFunctionDeclaration = CHAT_FUNCTIONS[name];
      const fn = new ChatFunction(this, declaration.id, {
        handlerFile: declaration.handlerFile,
        description: declaration.description,
        logRetention: props.logRetention,
        environment: props.environment,
      });
      return { name, declaration, fn };
    });
    this.functions = Object.fromEntries(this.declared.map(({ name, fn }) => [name, fn])) as ChatHandlers['functions'];
  }

  get all(): ChatFunction[] {
    return this.declared.map(({ fn }) => fn);
  }
}
