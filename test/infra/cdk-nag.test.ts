import { Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { synthChatStack } from './synth.js';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const { app } = synthChatStack({}, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing unacknowledged with a JWKS URL and CORS configured either', () => {
    const { app } = synthChatStack(
      { jwtJwksUrl: 'https://issuer.example/.well-known/jwks.json', corsAllowedOrigins: 'https://carinfopro.uz' },
      { nag: true },
    );
    expect(() => app.synth()).not.toThrow();
  });

  it('is really checking: an unencrypted, unlogged bucket fails the synth', () => {
    const { app, stack } = synthChatStack({}, { nag: true });
    new Bucket(Stack.of(stack), 'CarelessBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
