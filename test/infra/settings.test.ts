import { describe, expect, it } from 'vitest';
import { LOG_RETENTION_DAYS, readSettings, readStackName } from '../../lib/settings.js';
import { synthChatStack } from './synth.js';

/**
 * Every setting fails at synth, naming its key, for a value AWS would refuse at deploy time
 * (or that would deploy a stack that refuses every request); a good value passes.
 */
const read = (context: Record<string, unknown>) => readSettings({ tryGetContext: (key: string) => context[key] });

const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9';
const DOMAIN = { domainName: 'chat.carinfopro.uz', certificateArn: CERTIFICATE };
const ZONE = { ...DOMAIN, hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'carinfopro.uz' };

interface Case {
  key: string;
  good: unknown[];
  bad: unknown[];
  /** Other settings the key needs beside it. */
  with?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    key: 'jwtSecretArn',
    good: ['arn:aws:secretsmanager:eu-central-1:123456789012:secret:django/jwt-AbCdEf'],
    // A partial ARN (no suffix), a name, another service.
    bad: [
      'arn:aws:secretsmanager:eu-central-1:123456789012:secret:django-jwt',
      'django-jwt',
      'arn:aws:ssm:eu-central-1:123456789012:parameter/jwt-AbCdEf',
    ],
  },
  {
    key: 'jwtJwksUrl',
    good: ['https://cognito-idp.eu-central-1.amazonaws.com/pool/.well-known/jwks.json'],
    bad: ['http://insecure.example/jwks.json', 'https://'],
  },
  { key: 'jwtOwnerClaim', good: ['user_id', 'sub', 'custom:owner_id'], bad: [' user_id', 'user id', 'a'.repeat(129)] },
  {
    key: 'jwtIssuer',
    good: ['https://carinfopro.uz', 'carinfopro'],
    bad: [' carinfopro', 'car info', 'x'.repeat(513)],
  },
  { key: 'jwtAudience', good: ['chat'], bad: ['chat ', 'x'.repeat(513)] },
  { key: 'maxMessageLength', good: ['1', '4000', '30000'], bad: ['0', '30001', 'lots', '4.5'] },
  { key: 'messageRetentionDays', good: ['0', '90', '36500'], bad: ['-1', '36501', 'ever'] },
  { key: 'roomRetentionDays', good: ['0', '365'], bad: ['-1', '36501'] },
  { key: 'connectionTtlSeconds', good: ['7200', '10800', '604800'], bad: ['60', '604801'] },
  { key: 'messagesPerSecondPerConnection', good: ['0', '5', '50'], bad: ['-1', '51'] },
  { key: 'roomStartsPerMinutePerIp', good: ['0', '10', '100'], bad: ['-1', '101'] },
  { key: 'throttleRatePerSecond', good: ['1', '200', '10000'], bad: ['0', '10001'] },
  { key: 'throttleBurst', good: ['1', '400', '5000'], bad: ['0', '5001'] },
  {
    key: 'eventBusName',
    good: ['default', 'chat-events', 'aws.partner/example.com/123/bus'],
    bad: ['arn:aws:events:eu-central-1:123456789012:event-bus/chat', 'chat events', 'x'.repeat(257)],
  },
  { key: 'logRetentionDays', good: LOG_RETENTION_DAYS.map(String), bad: ['2', '0', '3650', '30.5'] },
  { key: 'frontDoor', good: [true, false, 'true', 'false'], bad: ['no', 'off', 1] },
  {
    key: 'domainName',
    good: ['chat.carinfopro.uz', 'a-b.example.co'],
    bad: ['Chat.Carinfopro.uz', '*.carinfopro.uz', 'chat.carinfopro.uz.', 'https://chat.carinfopro.uz', 'localhost'],
    with: { certificateArn: CERTIFICATE },
  },
  {
    key: 'certificateArn',
    good: [CERTIFICATE],
    bad: [
      'arn:aws:acm:eu-west-1:123456789012:certificate/1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9',
      'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    ],
    with: { domainName: 'chat.carinfopro.uz' },
  },
  {
    key: 'hostedZoneId',
    good: ['Z0123456789ABCDEFGHIJ', 'Z1D633PJN98FT9'],
    bad: ['/hostedzone/Z1D633PJN98FT9', 'z1d633pjn98ft9'],
    with: { ...DOMAIN, hostedZoneName: 'carinfopro.uz' },
  },
  {
    key: 'hostedZoneName',
    good: ['carinfopro.uz', 'chat.carinfopro.uz'],
    bad: ['carinfopro.uz.', 'CarInfoPro.uz'],
    with: { ...DOMAIN, hostedZoneId: 'Z1D633PJN98FT9' },
  },
  {
    key: 'webAclArn',
    good: ['arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat-acl/a1b2c3d4-5678-90ab-cdef-111122223333'],
    bad: [
      // REGIONAL scope, another region, WAF Classic's bare id.
      'arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/chat-acl/a1b2c3d4-5678-90ab-cdef-111122223333',
      'arn:aws:wafv2:eu-central-1:123456789012:global/webacl/chat-acl/a1b2c3d4-5678-90ab-cdef-111122223333',
      'a1b2c3d4-5678-90ab-cdef-111122223333',
    ],
  },
  { key: 'alarmEmail', good: ['ops@carinfopro.uz'], bad: ['ops', 'ops@carinfopro', 'ops @carinfopro.uz'] },
  { key: 'stageName', good: ['prod', 'v2_beta-1'], bad: ['no/slashes', '$default', 'x'.repeat(65)] },
];

describe('settings', () => {
  describe.each(cases)('$key', ({ key, good, bad, with: alongside = {} }) => {
    it.each(good.map((value) => [value]))('accepts %j', (value) => {
      expect(() => read({ ...alongside, [key]: value })).not.toThrow();
    });
    it.each(bad.map((value) => [value]))('refuses %j, naming the key', (value) => {
      expect(() => read({ ...alongside, [key]: value })).toThrow(new RegExp(`"${key}"`));
    });
  });

  it('lists the values CloudWatch Logs accepts when logRetentionDays is not one, and the synth fails', () => {
    expect(() => synthChatStack({ logRetentionDays: '2' })).toThrow(
      'Context "logRetentionDays" must be one of the periods CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; got "2"',
    );
  });

  it('refuses a domain outside its hosted zone, which Route 53 would refuse at deploy', () => {
    expect(() => read({ ...ZONE, domainName: 'chat.example.com' })).toThrow(/"domainName".*"hostedZoneName"/);
    expect(read(ZONE).frontDoor?.customDomain?.hostedZone).toEqual({
      id: 'Z0123456789ABCDEFGHIJ',
      name: 'carinfopro.uz',
    });
  });

  describe('stackName', () => {
    const name = (value: unknown) =>
      readStackName({ tryGetContext: (key: string) => (key === 'stackName' ? value : undefined) });
    it.each([['CarChat'], ['chat-staging-2']])('accepts %j', (value) => expect(name(value)).toBe(value));
    it('defaults to CarChat', () => expect(name(undefined)).toBe('CarChat'));
    it.each([['2chat'], ['chat_staging'], ['x'.repeat(129)]])('refuses %j, naming the key', (value) => {
      expect(() => name(value)).toThrow(/"stackName"/);
    });
  });
});
