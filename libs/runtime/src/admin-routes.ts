import { moveUser, RemoteHandlerError, setContactList, type Bus, type SetContactListRequest } from '@presence/bus';
import type { Logger } from '@presence/telemetry';
import type { FastifyInstance } from 'fastify';
import { bearerMatches } from './admin-auth.js';
import { normalizeAor } from './directory.js';
import type { OpenedDirectory } from './directory-config.js';
import { registerUserRoutes } from './admin-users.js';
import type { Pools } from './pools.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown) => v === undefined || typeof v === 'string';

/** Reads a contact list seed; undefined when its shape is wrong. */
function readSeed(body: Record<string, unknown>): Omit<SetContactListRequest, 'user'> | undefined {
  const groups = body.groups ?? [];
  const contacts = body.contacts ?? [];
  if (!Array.isArray(groups) || !Array.isArray(contacts)) return undefined;
  if (!groups.every((g) => isObject(g) && typeof g.name === 'string' && optString(g.externalURI))) return undefined;
  const okContact = (c: unknown) =>
    isObject(c) &&
    typeof c.uri === 'string' &&
    optString(c.name) &&
    optString(c.externalURI) &&
    (c.subscribed === undefined || typeof c.subscribed === 'boolean') &&
    (c.groups === undefined || (Array.isArray(c.groups) && c.groups.every((g) => typeof g === 'string')));
  if (!contacts.every(okContact)) return undefined;
  return { groups, contacts } as Omit<SetContactListRequest, 'user'>;
}

/**
 * Operators' actions on users, on every process's HTTP port (or its own admin listener); each goes
 * over the bus to the subscription service of the user's home pool, so any process can take it.
 * Every call needs `Authorization: Bearer <ADMIN_TOKEN>`; without a configured token the routes do
 * not exist (404). Each call, allowed or refused, leaves one audit log line.
 */
export function registerAdminRoutes(app: FastifyInstance, pools: Pools, bus: () => Bus, token: string | undefined, logger: Logger, directory?: OpenedDirectory): void {
  if (token === undefined) {
    logger.warn('admin routes disabled: set ADMIN_TOKEN or ADMIN_TOKEN_FILE to enable /admin/users/*');
    return;
  }
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/admin/')) return;
    if (!bearerMatches(req.headers.authorization, token)) return reply.code(401).header('www-authenticate', 'Bearer realm="presence-admin"').send({ error: 'admin token required' });
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!req.url.startsWith('/admin/')) return;
    const param = (req.params as { uri?: unknown } | undefined)?.uri;
    const named = isObject(req.body) ? (req.body.user ?? req.body.uri) : undefined;
    const target = typeof named === 'string' ? named.slice(0, 200) : typeof param === 'string' ? param.slice(0, 200) : undefined;
    logger.info({ audit: true, method: req.method, url: req.url, source: req.ip, target, status: reply.statusCode }, 'admin call');
  });
  // Moves a user to another pool ([DESIGN] Pools).
  app.post('/admin/users/move', async (req, reply) => {
    const body = isObject(req.body) ? req.body : {};
    const user = typeof body.user === 'string' ? normalizeAor(body.user) : undefined;
    if (!user || typeof body.pool !== 'string' || !pools.all.some((p) => p.id === body.pool)) {
      return reply.code(400).send({ error: 'expected {"user": "sip:…", "pool": "<one of PRESENCE_POOLS>"}' });
    }
    try {
      return await bus().request(moveUser, await pools.home(user), { user, to: body.pool }, { timeoutMs: 30_000 });
    } catch (e) {
      return reply.code(e instanceof RemoteHandlerError ? 409 : 503).send({ error: (e as Error).message });
    }
  });

  // Replaces a user's contact list ([MS-SIP] §3.7): seeding new users, migrating from another server.
  app.put('/admin/users/contacts', async (req, reply) => {
    const body = isObject(req.body) ? req.body : {};
    const user = typeof body.user === 'string' ? normalizeAor(body.user) : undefined;
    const seed = readSeed(body);
    if (!user || !seed) {
      return reply.code(400).send({ error: 'expected {"user": "sip:…", "groups": [{"name"}], "contacts": [{"uri", "name"?, "groups"?: [group names], "subscribed"?}]}' });
    }
    try {
      return await bus().request(setContactList, await pools.home(user), { user, ...seed }, { timeoutMs: 10_000 });
    } catch (e) {
      // The list itself is wrong (unknown group, too many contacts): the operator's to fix.
      return reply.code(e instanceof RemoteHandlerError ? 400 : 503).send({ error: (e as Error).message });
    }
  });

  // The managed user store (issue 15): create, change, disable, delete, set passwords, list.
  if (directory) registerUserRoutes(app, pools, directory);
}
