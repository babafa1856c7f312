import { CfnOutput, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { environmentOf } from '../../lambdas/config/settings-contract.js';
import type { ChatSettings } from '../settings.js';

/**
 * How owner JWTs are verified. By default the Django backend's HS256 signing key lives in a
 * Secrets Manager secret (an existing one by ARN, or one this stack creates with a random
 * placeholder for the operator to overwrite); the key never appears in the template.
 * Alternatively a JWKS URL (RS256/ES256) replaces the shared secret.
 */
export class OwnerAuth extends Construct {
  readonly secret?: ISecret;
  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, settings: ChatSettings['auth']) {
    super(scope, id);
    const common = { jwtOwnerClaim: settings.ownerClaim, jwtIssuer: settings.issuer, jwtAudience: settings.audience };

    if (settings.jwtJwksUrl) {
      this.environment = environmentOf({ ...common, jwtJwksUrl: settings.jwtJwksUrl });
      return;
    }
    this.secret = settings.jwtSecretArn
      ? Secret.fromSecretCompleteArn(this, 'JwtSecret', settings.jwtSecretArn)
      : new Secret(this, 'JwtSecret', {
          description: 'HS256 key that signs owner access tokens (SimpleJWT SIGNING_KEY of the Django backend)',
          generateSecretString: { passwordLength: 64, excludePunctuation: true },
        });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is the signing key of the existing Django backend, which issues the owner tokens; it is rotated there and copied here, not rotated by this stack.',
    });
    this.environment = environmentOf({ ...common, jwtSecretArn: this.secret.secretArn });
    new CfnOutput(scope, 'OwnerJwtSecretArn', {
      value: this.secret.secretArn,
      description: 'Put the Django SIGNING_KEY here (aws secretsmanager put-secret-value)',
    });
  }

  /** Gives the function the verification settings and read access to the key. */
  bind(fn: LambdaFunction & IGrantable): void {
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
    this.secret?.grantRead(fn);
  }
}
