import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStack } from '../../lib/chat-stack.js';
import { readSettings } from '../../lib/settings.js';

/**
 * Synthesizes the stack as bin/app.ts does, with the given context, but without bundling
 * the Lambdas (the assertions look at the template, not the code), into a temp folder.
 */
export function synthChatStack(context: Record<string, unknown> = {}, options: { nag?: boolean } = {}) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'carchat-synth-')),
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = new ChatStack(app, 'CarChat', {
    settings: readSettings(app.node),
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: () => Template.fromStack(stack) };
}
