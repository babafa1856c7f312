#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack } from '../lib/chat-stack.js';
import { readSettings, readStackName } from '../lib/settings.js';

const app = new App();
new ChatStack(app, readStackName(app.node), {
  settings: readSettings(app.node),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Serverless backend of the car owner / visitor chat (docs/api.md)',
});
// Every synth and deploy is checked against the AWS Solutions rules; an unacknowledged
// finding fails it. Acknowledgements sit next to the resource, each with its reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
