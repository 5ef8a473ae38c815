import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunningService } from '@presence/runtime';
import type { AvailabilityName } from './availability.js';
import { userUri, type Caller, type WebApi } from './api.js';
import { problemBody, RateLimitedError, UnavailableError, WebProblem } from './problems.js';
import { routeSchemas as S, sharedSchemas } from './schemas.js';

/** The running web service as the routes see it. */
export interface RunningWeb extends RunningService {
  readonly api: WebApi;
}

/** The page's files, served as they are (no build step, nothing fetched from elsewhere). */
const PAGE_FILES: Readonly<Record<string, string>> = { '/': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const PAGE_TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const pageDir = new URL('../src/page/', import.meta.url);

const bearerOf = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  const m = h === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? (req.query as { access_token?: string } | undefined)?.access_token;
};

function sendProblem(reply: FastifyReply, req: FastifyRequest, p: { status: number; code: string; message: string; errors?: readonly unknown[] }, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(p.status).headers(headers).type('application/problem+json').send(problemBody(p, req.url.split('?')[0]));
}

/**
 * The web service's routes on the process's HTTP app: the page at `/`, the API under `/api/v1`
 * with its OpenAPI document generated from the route schemas. Every error is RFC 9457 problem+json.
 */
export function registerWebRoutes(app: FastifyInstance, running: () => RunningWeb | undefined): void {
  const apiOf = (): WebApi => {
    const r = running();
    if (!r) throw new UnavailableError('the web service is starting');
    return r.api;
  };

  void app.register(async (scope) => {
    for (const s of sharedSchemas) scope.addSchema(s);
    await scope.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Presence web API', version: '1.0.0', description: 'Presence, contacts and presence rules of the signed-in user; live changes over Server-Sent Events.' },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      },
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    });

    for (const [path, file] of Object.entries(PAGE_FILES)) {
      scope.get(path, { schema: { hide: true } }, async (_req, reply) => {
        const body = readFileSync(new URL(file, pageDir));
        return reply
          .type(PAGE_TYPES[file.split('.').pop()!]!)
          .header('cache-control', 'no-cache')
          .header('content-security-policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'")
          .header('x-content-type-options', 'nosniff')
          .send(body);
      });
    }

    await scope.register(
      async (api) => {
        // Unknown fields are refused, not silently dropped (fastify's default removes them): a typo
        // must not turn into a half-applied change. Path and query values are still read as numbers.
        const ajv = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: 'array', allErrors: false, strict: false });
        for (const schema of sharedSchemas) ajv.addSchema(schema);
        api.setValidatorCompiler(({ schema }) => ajv.compile(schema));
        api.setErrorHandler((err: FastifyError, req, reply) => {
          if (err instanceof WebProblem) return sendProblem(reply, req, { status: err.status, code: err.code, message: err.message, ...('errors' in err && err.errors ? { errors: err.errors as unknown[] } : {}) }, err.headers());
          if (err.validation) {
            const errors = err.validation.map((v) => ({ path: v.instancePath || String(v.params?.missingProperty ?? ''), message: v.message ?? 'invalid' }));
            return sendProblem(reply, req, { status: 400, code: 'WEB_ERR_VALIDATION', message: err.message, errors });
          }
          const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
          if (status === 500) req.log.error({ err }, 'web API request failed');
          return sendProblem(reply, req, { status, code: err.code ?? 'WEB_ERR_INTERNAL', message: status === 500 ? 'internal error' : err.message });
        });
        api.setNotFoundHandler((req, reply) => sendProblem(reply, req, { status: 404, code: 'WEB_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

        const caller = async (req: FastifyRequest): Promise<Caller> => apiOf().authenticate(bearerOf(req));
        const json = { bodyLimit: 16 * 1024 };

        api.get('/openapi.json', { schema: { hide: true } }, async () => scope.swagger());

        api.post('/sessions', { ...json, schema: S.signIn }, async (req, reply) => {
          const b = req.body as { user: string; password: string };
          return reply.code(201).header('cache-control', 'no-store').send(await apiOf().signIn(b.user, b.password, req.ip));
        });
        api.post('/sessions/refresh', { ...json, schema: S.refresh }, async (req, reply) =>
          reply.header('cache-control', 'no-store').send(await apiOf().refresh((req.body as { refreshToken: string }).refreshToken)),
        );
        api.delete('/sessions/current', { schema: S.signOut }, async (req, reply) => {
          await apiOf().signOut(await caller(req));
          return reply.code(204).send();
        });

        api.get('/me/presence', { schema: S.getMe }, async (req) => {
          const c = await caller(req);
          return apiOf().presenceOf(c, c.user);
        });
        api.put('/me/presence', { ...json, schema: S.putMe }, async (req) =>
          apiOf().setPresence(await caller(req), req.body as { availability: AvailabilityName | number; activity?: string; note?: string }),
        );
        api.get('/users/:uri/presence', { schema: S.getUser }, async (req) => {
          const c = await caller(req);
          return apiOf().presenceOf(c, userUri((req.params as { uri: string }).uri));
        });

        api.get('/me/contacts', { schema: S.getContacts }, async (req) => apiOf().d.contacts.read((await caller(req)).user));
        api.post('/me/contacts', { ...json, schema: S.addContact }, async (req, reply) =>
          reply.code(201).send(await apiOf().addContact(await caller(req), req.body as { uri: string; name?: string; groups?: number[] })),
        );
        api.delete('/me/contacts/:uri', { schema: S.deleteContact }, async (req, reply) => {
          await apiOf().deleteContact(await caller(req), (req.params as { uri: string }).uri);
          return reply.code(204).send();
        });
        api.post('/me/groups', { ...json, schema: S.addGroup }, async (req, reply) =>
          reply.code(201).send({ id: await apiOf().addGroup(await caller(req), (req.body as { name: string }).name) }),
        );
        api.delete('/me/groups/:id', { schema: S.deleteGroup }, async (req, reply) => {
          await apiOf().deleteGroup(await caller(req), (req.params as { id: number }).id);
          return reply.code(204).send();
        });

        api.get('/me/containers', { schema: S.getContainers }, async (req) => apiOf().d.contacts.containers((await caller(req)).user));
        api.put('/me/containers/:id', { ...json, schema: S.putContainer }, async (req) =>
          apiOf().setContainer(await caller(req), (req.params as { id: number }).id, req.body as { add?: { type: string; value?: string }[]; remove?: { type: string; value?: string }[] }),
        );

        api.get('/stream', { schema: S.stream }, async (req, reply) => {
          const web = apiOf();
          const c = await caller(req);
          if (!web.d.live.canOpen(c.user)) throw new RateLimitedError('too many open streams', 5);
          const header = req.headers['last-event-id'];
          const raw = (typeof header === 'string' ? header : undefined) ?? (req.query as { lastEventId?: number }).lastEventId;
          const lastEventId = raw === undefined || raw === '' || !/^\d{1,15}$/.test(String(raw)) ? undefined : Number(raw);
          const buffered: string[] = [];
          let ready = false;
          const write = (e: { id: number; event: string; data: unknown }) => {
            const text = `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
            if (ready) reply.raw.write(text);
            else buffered.push(text);
          };
          const close = await web.d.live.open(c.user, c.sessionId, c.epid, lastEventId, write, () => reply.raw.end());
          reply.hijack();
          reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
          // [WHATWG SSE] `retry`: how soon the browser reconnects after a drop.
          reply.raw.write('retry: 1000\n\n');
          for (const t of buffered) reply.raw.write(t);
          ready = true;
          const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
          ping.unref();
          // The browser went away (or the instance ended the stream): end the response too, so that
          // nothing waits for it at shutdown, and end the stream's dialogs.
          const socket = req.raw.socket;
          reply.raw.on('close', () => {
            clearInterval(ping);
            // A stream's connection serves nothing after it (the response never had a length).
            socket.destroy();
            void close();
          });
        });
      },
      { prefix: '/api/v1' },
    );
  });
}
