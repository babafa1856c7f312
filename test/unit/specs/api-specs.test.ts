import { describe, expect, it } from 'vitest';
import {
  ApiSpecs,
  loadApiSpecs,
  readSpec,
  OPENAPI_FILE,
  ASYNCAPI_FILE,
  type HttpExchange,
} from '../../support/api-specs.js';

/**
 * The checker the integration suite runs on every response and server frame: it must pass what
 * the specs say and name what they do not.
 */
const specs = loadApiSpecs();
const ROOM_ID = '0b7e7c1e-6a55-4c5d-9d65-2f3cfb6f1d20';
const OWNER_ID = '3f1c1e1a-8a5e-4a53-9a36-2f1d7c0b9e10';
const MESSAGE_ID = '0194d6a2-7c00-7a3b-8f1e-2b3c4d5e6f70';
const room = {
  id: ROOM_ID,
  owner_id: OWNER_ID,
  visitor_name: 'Ali',
  is_active: true,
  created_at: '2026-02-05T11:00:00.000Z',
  updated_at: '2026-02-05T11:05:00.000Z',
  last_message: null,
  unread_count: 0,
  last_read: { owner: null, visitor: null },
};
const broadcast = {
  id: MESSAGE_ID,
  room_id: ROOM_ID,
  sender_type: 'visitor',
  message: 'Salom',
  created_at: '2026-02-05T11:06:00.000Z',
};

const exchange = (overrides: Partial<HttpExchange> & { json?: unknown }): HttpExchange => {
  const { json, ...rest } = overrides;
  return {
    method: 'GET',
    path: `/api/chat/rooms/${ROOM_ID}/`,
    query: '',
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json ?? room),
    ...rest,
  };
};

describe('checking a response against docs/openapi.yaml', () => {
  it('passes a documented response, with or without the trailing slash', () => {
    expect(specs.checkResponse(exchange({}))).toEqual([]);
    expect(specs.checkResponse(exchange({ path: `/api/chat/rooms/${ROOM_ID}` }))).toEqual([]);
  });

  it('names an undocumented field', () => {
    const problems = specs.checkResponse(exchange({ json: { ...room, secret: 'x' } }));
    expect(problems.join()).toMatch(/must NOT have additional properties.*secret/);
  });

  it('names an undocumented status', () => {
    expect(specs.checkResponse(exchange({ status: 418 }))).toEqual([
      'status 418 is not documented for GET /api/chat/rooms/{room_id}/',
    ]);
  });

  it('names a field of the wrong type or format', () => {
    expect(specs.checkResponse(exchange({ json: { ...room, unread_count: '1' } })).join()).toMatch(
      /\/unread_count must be integer/,
    );
    expect(specs.checkResponse(exchange({ json: { ...room, created_at: 'yesterday' } })).join()).toMatch(
      /\/created_at must match format "date-time"/,
    );
  });

  it('names a missing required header and a header of the wrong shape', () => {
    const notAllowed = exchange({ method: 'PUT', status: 405, json: { detail: 'Method "PUT" not allowed.' } });
    expect(specs.checkResponse(notAllowed)).toEqual([
      'required header Allow is missing (PUT /api/chat/rooms/{room_id}/ 405)',
    ]);
    expect(specs.checkResponse({ ...notAllowed, headers: { ...notAllowed.headers, allow: 'GET' } })).toEqual([]);
    const list = exchange({
      path: '/api/chat/rooms/',
      json: [room],
      headers: { 'content-type': 'application/json', link: '<https://elsewhere/>' },
    });
    expect(specs.checkResponse(list).join()).toMatch(/^header Link/);
  });

  it('checks error bodies: DRF detail from the functions, message from the gateway, nothing else', () => {
    expect(specs.checkResponse(exchange({ status: 404, json: { detail: 'Not found.' } }))).toEqual([]);
    expect(specs.checkResponse(exchange({ status: 500, json: { message: 'Internal Server Error' } }))).toEqual([]);
    expect(specs.checkResponse(exchange({ status: 404, json: { error: 'Not found.' } }))).not.toEqual([]);
  });

  it('takes answers to paths no operation serves from x-unmatched-request-responses', () => {
    const unknown = exchange({ path: '/nowhere', status: 404, json: { message: 'Not Found' } });
    expect(specs.checkResponse(unknown)).toEqual([]);
    expect(specs.checkResponse({ ...unknown, status: 200 })).toEqual([
      'status 200 is not documented for x-unmatched-request-responses (no documented operation)',
    ]);
  });

  it('expects no body where none is documented, and none from HEAD', () => {
    const preflight = exchange({ method: 'OPTIONS', status: 204, headers: {}, body: '' });
    expect(specs.checkResponse(preflight)).toEqual([]);
    expect(specs.checkResponse({ ...preflight, body: '{}' }).join()).toMatch(/documents no body/);
    const head = exchange({ method: 'HEAD', status: 405, headers: { allow: 'GET' }, body: '' });
    expect(specs.checkResponse(head)).toEqual([]);
  });

  it('refuses a body that is not JSON or not of a documented content type', () => {
    expect(specs.checkResponse(exchange({ body: '<html>' })).join()).toMatch(/not JSON/);
    expect(specs.checkResponse(exchange({ headers: { 'content-type': 'text/plain' } })).join()).toMatch(
      /content-type "text\/plain" is not documented/,
    );
  });
});

describe('checking a server frame against docs/asyncapi.yaml', () => {
  it('passes the frames each channel documents', () => {
    expect(specs.checkServerFrame('room', JSON.stringify(broadcast))).toEqual([]);
    expect(specs.checkServerFrame('room', JSON.stringify({ type: 'pong' }))).toEqual([]);
    expect(specs.checkServerFrame('inbox', JSON.stringify({ type: 'room.created', room }))).toEqual([]);
    expect(specs.checkServerFrame('inbox', JSON.stringify({ type: 'message', message: broadcast }))).toEqual([]);
  });

  it('names an unknown frame type', () => {
    expect(specs.checkServerFrame('room', JSON.stringify({ type: 'room.deleted', room_id: ROOM_ID }))).toEqual([
      `unknown room frame type "room.deleted": {"type":"room.deleted","room_id":"${ROOM_ID}"}`,
    ]);
  });

  it('keeps the channels apart: inbox frames are not room frames', () => {
    expect(specs.checkServerFrame('room', JSON.stringify({ type: 'room.created', room })).join()).toMatch(
      /unknown room frame type "room.created"/,
    );
  });

  it('names an undocumented field, a wrong type and a wrong error code', () => {
    expect(specs.checkServerFrame('room', JSON.stringify({ ...broadcast, sender: 'x' })).join()).toMatch(
      /closest is broadcast: \/ must NOT have additional properties.*sender/,
    );
    expect(specs.checkServerFrame('room', JSON.stringify({ ...broadcast, created_at: 5 })).join()).toMatch(
      /closest is broadcast: \/created_at must be string/,
    );
    expect(specs.checkServerFrame('room', JSON.stringify({ error: 'x', code: 'oops' })).join()).toMatch(
      /closest is error: \/code must be equal to one of the allowed values/,
    );
    expect(
      specs
        .checkServerFrame('inbox', JSON.stringify({ type: 'room.updated', room: { ...room, unread_count: -1 } }))
        .join(),
    ).toMatch(/\/room\/unread_count must be >= 0/);
  });

  it('refuses a frame that is not JSON', () => {
    expect(specs.checkServerFrame('inbox', 'pong')).toEqual(['inbox frame is not JSON: pong']);
  });
});

describe('a spec broken on purpose', () => {
  it('turns the same traffic into violations', () => {
    const openapi = readSpec(OPENAPI_FILE);
    const asyncapi = readSpec(ASYNCAPI_FILE);
    delete openapi.components.schemas.Room.properties.unread_count;
    openapi.components.schemas.Room.required = openapi.components.schemas.Room.required.filter(
      (name: string) => name !== 'unread_count',
    );
    delete asyncapi.components.schemas.Pong;
    asyncapi.components.messages.pong.payload = { type: 'object', properties: { type: { const: 'pong!' } } };
    const broken = new ApiSpecs(openapi, asyncapi);
    expect(broken.checkResponse(exchange({})).join()).toMatch(/additionalProperty":"unread_count"/);
    expect(broken.checkServerFrame('room', '{"type":"pong"}').join()).toMatch(/unknown room frame type "pong"/);
  });
});
