import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import type { ObservedHttpResponse } from '../../local/traffic-observer.js';

/**
 * The client API's two specs (docs/openapi.yaml, docs/asyncapi.yaml), loaded once and used to
 * check real traffic: every response and every server frame the integration suite sees
 * (test/integration/support/local-stack-fixture.ts), the client frames the specs give as
 * examples, and the specs' own examples. Each check returns its problems as readable lines,
 * none when the exchange is what the spec says.
 */

export const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
export const ASYNCAPI_FILE = fileURLToPath(new URL('../../docs/asyncapi.yaml', import.meta.url));

/** One response as the client received it: what the local stack's traffic observer reports. */
export type HttpExchange = ObservedHttpResponse;

/** A room socket or the owner's inbox. */
export type FrameChannel = 'room' | 'inbox';

type Json = Record<string, any>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface SpecOperation {
  /** The spec's path, e.g. /api/chat/rooms/{room_id}/. */
  path: string;
  /** Lower case, as in the spec. */
  method: string;
  operation: Json;
}

export class ApiSpecs {
  private readonly openapiAjv: Ajv2020;
  private readonly asyncapiAjv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly paths: { path: string; pattern: RegExp; params: number }[];

  constructor(
    readonly openapi: Json,
    readonly asyncapi: Json,
  ) {
    // The documents are not schemas as a whole; their schemas are reached by JSON pointer,
    // so keywords ajv does not know (info, paths, channels...) must not stop it.
    this.openapiAjv = new Ajv2020({ strict: false, allErrors: true });
    this.asyncapiAjv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.openapiAjv);
    addFormats(this.asyncapiAjv);
    this.openapiAjv.addSchema(openapi, 'openapi');
    this.asyncapiAjv.addSchema(asyncapi, 'asyncapi');
    this.paths = Object.keys(openapi.paths ?? {})
      .map((path) => ({
        path,
        pattern: new RegExp(
          `^${withSlash(path)
            .split(/\{[^}]+\}/)
            .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}$`,
        ),
        params: (path.match(/\{/g) ?? []).length,
      }))
      // A literal path wins over a template that would also match it.
      .sort((a, b) => a.params - b.params);
  }

  /** The documented operation for a request, the trailing slash being optional. */
  operationFor(method: string, requestPath: string): SpecOperation | undefined {
    const found = this.paths.find((p) => p.pattern.test(withSlash(requestPath)));
    const lower = method.toLowerCase();
    const operation = found && this.openapi.paths[found.path][lower];
    return operation ? { path: found.path, method: lower, operation } : undefined;
  }

  /** Every documented path and method. */
  get operations(): SpecOperation[] {
    return Object.entries(this.openapi.paths ?? {}).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => (item as Json)[method]).map((method) => ({
        path,
        method,
        operation: (item as Json)[method],
      })),
    );
  }

  /** What is wrong with a response, against the operation its request matches (or the unmatched-request answers). */
  checkResponse(exchange: HttpExchange): string[] {
    const matched = this.operationFor(exchange.method, exchange.path);
    const where = matched
      ? `${matched.method.toUpperCase()} ${matched.path}`
      : 'x-unmatched-request-responses (no documented operation)';
    const responses: Json = matched ? matched.operation.responses : this.openapi['x-unmatched-request-responses'];
    const status = String(exchange.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => responses?.[k] !== undefined);
    if (!key) return [`status ${status} is not documented for ${where}`];
    const { value: response, pointer } = this.resolve(
      this.openapi,
      responses[key],
      matched
        ? `/paths/${escapePointer(matched.path)}/${matched.method}/responses/${key}`
        : `/x-unmatched-request-responses/${key}`,
    );
    const problems: string[] = [];

    for (const [name, raw] of Object.entries((response.headers ?? {}) as Json)) {
      const { value: header, pointer: headerPointer } = this.resolve(
        this.openapi,
        raw,
        `${pointer}/headers/${escapePointer(name)}`,
      );
      const value = exchange.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`required header ${name} is missing (${where} ${status})`);
        continue;
      }
      if (header.schema) {
        const errors = this.validate('openapi', `${headerPointer}/schema`, value);
        if (errors) problems.push(`header ${name}: ${JSON.stringify(value)} ${errors}`);
      }
    }

    const hasBody = exchange.body.length > 0;
    const content = response.content as Json | undefined;
    if (!content) {
      if (hasBody) problems.push(`${where} ${status} documents no body, got ${preview(exchange.body)}`);
      return problems;
    }
    // HEAD answers carry the status and headers only.
    if (exchange.method.toUpperCase() === 'HEAD') return problems;
    const contentType = (exchange.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(contentType in content)) {
      problems.push(`content-type ${JSON.stringify(contentType)} is not documented for ${where} ${status}`);
      return problems;
    }
    let body: unknown;
    try {
      body = JSON.parse(exchange.body);
    } catch {
      problems.push(`body is not JSON: ${preview(exchange.body)}`);
      return problems;
    }
    const errors = this.validate('openapi', `${pointer}/content/${escapePointer(contentType)}/schema`, body);
    if (errors) problems.push(`body ${errors}: ${preview(exchange.body)}`);
    return problems;
  }

  /** What is wrong with a frame the server sent on a channel (its receive operations' messages). */
  checkServerFrame(channel: FrameChannel, data: string): string[] {
    return this.checkFrame(channel, 'receive', data);
  }

  /** What is wrong with a frame a client sends on a channel (its send operations' messages). */
  checkClientFrame(channel: FrameChannel, data: string): string[] {
    return this.checkFrame(channel, 'send', data);
  }

  /** The messages of a channel's operations of one action, with the JSON pointer of each payload. */
  channelMessages(
    channel: string,
    action: 'send' | 'receive',
  ): { name: string; message: Json; payload: Json; pointer: string }[] {
    const operations = Object.values((this.asyncapi.operations ?? {}) as Record<string, Json>).filter(
      (op) => op.action === action && op.channel?.$ref === `#/channels/${channel}`,
    );
    return operations.flatMap((op) =>
      ((op.messages ?? []) as Json[]).map((ref) => {
        const { value: message, pointer } = this.resolve(this.asyncapi, ref, '');
        const payload = this.resolve(this.asyncapi, message.payload, `${pointer}/payload`);
        return { name: message.name as string, message, payload: payload.value, pointer: payload.pointer };
      }),
    );
  }

  private checkFrame(channel: FrameChannel, action: 'send' | 'receive', data: string): string[] {
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return [`${channel} frame is not JSON: ${preview(data)}`];
    }
    const candidates = this.channelMessages(channel, action);
    if (candidates.length === 0) return [`no ${action} operation documents channel ${channel}`];
    const results = candidates.map((c) => ({ ...c, errors: this.validate('asyncapi', c.pointer, frame) }));
    if (results.some((r) => !r.errors)) return [];
    // Say why against the message the frame most looks like: the one of its `type`, else the
    // untyped one it is closest to (fewest errors).
    const type = (frame as Json | null)?.type;
    const typeOf = (r: { payload: Json }) => r.payload.properties?.type?.const as unknown;
    if (type !== undefined && !results.some((r) => typeOf(r) === type)) {
      return [`unknown ${channel} frame type ${JSON.stringify(type)}: ${preview(data)}`];
    }
    const [closest] = results
      .filter((r) => (type === undefined ? typeOf(r) === undefined : typeOf(r) === type))
      .sort((a, b) => a.errors!.split(', ').length - b.errors!.split(', ').length);
    return [
      `${channel} frame matches no documented ${action} message: ${preview(data)}${closest ? `; closest is ${closest.name}: ${closest.errors}` : ''}`,
    ];
  }

  /** ajv's errors as one line, or undefined when the value is valid against the schema at `pointer`. */
  validate(document: 'openapi' | 'asyncapi', pointer: string, value: unknown): string | undefined {
    const key = `${document}#${pointer}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const ajv = document === 'openapi' ? this.openapiAjv : this.asyncapiAjv;
      validate = ajv.compile({ $ref: key });
      this.validators.set(key, validate);
    }
    if (validate(value)) return undefined;
    return (validate.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
      .join(', ');
  }

  /** Follows local $refs; the pointer of where the value really is. */
  resolve(document: Json, value: Json, pointer: string): { value: Json; pointer: string } {
    let current = value;
    let at = pointer;
    for (let hops = 0; current && typeof current.$ref === 'string'; hops += 1) {
      if (hops > 10 || !current.$ref.startsWith('#/')) throw new Error(`Cannot follow $ref ${current.$ref}`);
      at = current.$ref.slice(1);
      current = at
        .slice(1)
        .split('/')
        .map((part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce((node: Json | undefined, part: string) => node?.[part], document) as Json;
      if (current === undefined) throw new Error(`$ref ${at} points nowhere`);
    }
    return { value: current, pointer: at };
  }
}

const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);
const escapePointer = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');
const preview = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text);

export const readSpec = (file: string): Json => parse(readFileSync(file, 'utf8')) as Json;

let loaded: ApiSpecs | undefined;

/** docs/openapi.yaml and docs/asyncapi.yaml, read once per process. */
export function loadApiSpecs(): ApiSpecs {
  loaded ??= new ApiSpecs(readSpec(OPENAPI_FILE), readSpec(ASYNCAPI_FILE));
  return loaded;
}
