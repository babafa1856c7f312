import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiGatewayTime, awsStyleId, clientAddress, forwardedHeaders, localApiId, parseQuery } from './aws-format.js';
import { METHOD_NOT_ALLOWED, splitUrl, type LocalFrontDoor } from './front-door.js';
import { HttpApiCors, isCorsHeader } from './http-cors.js';
import { readBody, sendJson } from './http-io.js';
import { HttpRouter } from './http-routes.js';
import type { LocalFunction } from './lambda-functions.js';

/** API Gateway's HTTP API payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * Lambda's synchronous response payload limit (6 MB of the serialized result). Above it Lambda
 * returns an error instead of the result, and API Gateway answers as for any failed integration.
 */
const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

/** Bodies API Gateway passes as text; anything else (and no content type) arrives base64. */
const TEXT_CONTENT = /^(text\/|application\/(json|javascript|xml)\b|application\/[\w.+-]+\+(json|xml)\b)/i;

export interface HttpGatewayOptions {
  apiLogicalId: string;
  routes: { routeKey: string; fn: LocalFunction }[];
  log: (line: string) => void;
  /**
   * When the template has the CloudFront front door, the gateway plays its part first: the
   * behaviour's allowed methods, and only the headers its policies forward (plus
   * CloudFront-Viewer-Address and the origin-verify header, set by CloudFront itself).
   */
  frontDoor?: LocalFrontDoor;
  /** The HTTP API's CORS configuration from the template, applied as API Gateway does. */
  cors?: HttpApiCors;
}

/**
 * The HTTP API: each request becomes a payload 2.0 event for the function behind the
 * matched route, and the function's result becomes the response, as API Gateway does,
 * including its CORS configuration (see http-cors.ts).
 */
export class HttpGateway {
  private readonly router: HttpRouter<LocalFunction>;
  private readonly apiId: string;

  constructor(private readonly options: HttpGatewayOptions) {
    this.router = new HttpRouter(options.routes.map((r) => ({ routeKey: r.routeKey, target: r.fn })));
    this.apiId = localApiId(options.apiLogicalId);
  }

  /** The routes served and the function behind each, most specific first. */
  get routes(): { routeKey: string; functionId: string }[] {
    return this.router.routes.map((r) => ({ routeKey: r.routeKey, functionId: r.target.definition.logicalId }));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const { path: rawPath, rawQuery } = splitUrl(req.url);

    // What reaches API Gateway: everything without a front door, else what CloudFront forwards.
    let rawHeaders = req.rawHeaders;
    const { frontDoor, cors: corsRules } = this.options;
    if (frontDoor) {
      const viewer = { ip: clientAddress(req.socket.remoteAddress), port: req.socket.remotePort ?? 0 };
      const forwarded = frontDoor.originRequest(method, rawPath, req.rawHeaders, viewer);
      if (!forwarded) {
        sendJson(res, 403, METHOD_NOT_ALLOWED);
        this.options.log(`${method} ${rawPath} 403 (method not allowed by the front door)`);
        return;
      }
      rawHeaders = forwarded.headers.flat();
    }
    const seen = lowerCaseHeaders(rawHeaders);

    const match = this.router.match(method, rawPath);
    if (!match && corsRules && HttpApiCors.isPreflight(method, seen)) {
      const answer = corsRules.preflight(seen);
      res.writeHead(204, answer);
      res.end();
      this.options.log(
        `${method} ${rawPath} 204 (CORS preflight${answer['access-control-allow-origin'] ? '' : ', origin not allowed'})`,
      );
      return;
    }
    if (!match) {
      sendJson(res, 404, { message: 'Not Found' });
      this.options.log(`${method} ${rawPath} 404 (no route)`);
      return;
    }
    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (!body) {
      sendJson(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
      return;
    }
    const cors = corsRules?.responseHeaders(seen.origin) ?? {};
    const requestId = awsStyleId();
    const event = this.event(req, rawHeaders, {
      method,
      rawPath,
      rawQueryString: rawQuery,
      routeKey: match.route.routeKey,
      pathParameters: match.pathParameters,
      body,
      requestId,
    });

    let status: number;
    try {
      const result = await match.route.target.invoke(event);
      status = this.respond(res, result, { ...cors, 'apigw-requestid': requestId });
    } catch (error) {
      this.options.log(`${method} ${rawPath}: ${(error as Error).message}`);
      status = 500;
      sendJson(res, 500, { message: 'Internal Server Error' }, { ...cors, 'apigw-requestid': requestId });
    }
    this.options.log(`${method} ${rawPath} ${status} (${match.route.routeKey}, ${Date.now() - started} ms)`);
  }

  private event(
    req: IncomingMessage,
    rawHeaders: string[],
    request: {
      method: string;
      rawPath: string;
      rawQueryString: string;
      routeKey: string;
      pathParameters?: Record<string, string>;
      body: Buffer;
      requestId: string;
    },
  ): APIGatewayProxyEventV2 {
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toLowerCase();
      const value = rawHeaders[i + 1]!;
      if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
      else headers[name] = name in headers ? `${headers[name]},${value}` : value;
    }
    const sourceIp = clientAddress(req.socket.remoteAddress);
    for (const [name, value] of forwardedHeaders(sourceIp, req.socket.localPort)) {
      const lower = name.toLowerCase();
      headers[lower] = lower === 'x-forwarded-for' && headers[lower] ? `${headers[lower]}, ${value}` : value;
    }

    const query: Record<string, string> = {};
    for (const [key, value] of parseQuery(request.rawQueryString)) {
      query[key] = key in query ? `${query[key]},${value}` : value;
    }
    const domainName = (headers.host ?? 'localhost').replace(/:\d+$/, '');
    const now = new Date();
    const isText = TEXT_CONTENT.test(headers['content-type'] ?? '');
    const hasBody = request.body.length > 0;
    return {
      version: '2.0',
      routeKey: request.routeKey,
      rawPath: request.rawPath,
      rawQueryString: request.rawQueryString,
      ...(cookies.length > 0 ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      ...(request.pathParameters ? { pathParameters: request.pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: this.apiId,
        domainName,
        domainPrefix: domainName.split('.')[0]!,
        http: {
          method: request.method,
          path: request.rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp,
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: request.requestId,
        routeKey: request.routeKey,
        stage: '$default',
        time: apiGatewayTime(now),
        timeEpoch: now.getTime(),
      },
      ...(hasBody ? { body: isText ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
      isBase64Encoded: hasBody && !isText,
    };
  }

  /** Maps a payload 2.0 result to the response; returns the status sent. */
  private respond(res: ServerResponse, result: unknown, extraHeaders: Record<string, string>): number {
    const resultBytes = Buffer.byteLength(JSON.stringify(result ?? null));
    if (resultBytes > LAMBDA_RESPONSE_LIMIT_BYTES) {
      this.options.log(`Lambda response of ${resultBytes} bytes exceeds the ${LAMBDA_RESPONSE_LIMIT_BYTES}-byte limit`);
      sendJson(res, 500, { message: 'Internal Server Error' }, extraHeaders);
      return 500;
    }
    const structured =
      result !== null && typeof result === 'object' && 'statusCode' in (result as Record<string, unknown>)
        ? (result as {
            statusCode: unknown;
            headers?: Record<string, unknown>;
            cookies?: string[];
            body?: unknown;
            isBase64Encoded?: boolean;
          })
        : undefined;
    if (!structured) {
      // A result without statusCode is taken as a JSON body with status 200.
      const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
      res.writeHead(200, { 'content-type': 'application/json', ...extraHeaders });
      res.end(body);
      return 200;
    }
    const status = Number(structured.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      sendJson(res, 500, { message: 'Internal Server Error' }, extraHeaders);
      return 500;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(structured.headers ?? {})) {
      if (this.options.cors && isCorsHeader(name)) continue;
      headers[name.toLowerCase()] = String(value);
    }
    if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
    const body =
      typeof structured.body === 'string'
        ? Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
    res.writeHead(status, { ...headers, ...extraHeaders, 'content-length': body.length });
    res.end(body);
    return status;
  }
}

function lowerCaseHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers[name] = name in headers ? `${headers[name]},${rawHeaders[i + 1]!}` : rawHeaders[i + 1]!;
  }
  return headers;
}
