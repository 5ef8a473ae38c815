import type { FastifyInstance, FastifyReply } from 'fastify';
import { normalizeAor } from './directory.js';
import type { OpenedDirectory } from './directory-config.js';
import { entryOf, readProfile, UserStoreError, viewOf, type StoredUser, type UserStore } from './directory-store.js';
import type { Pools } from './pools.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_PAGE = 1000;

/** A password as the API takes it: 1 to 256 characters (it is hashed into HA1 values at once). */
const passwordOf = (v: unknown): string | undefined => (typeof v === 'string' && v.length >= 1 && v.length <= 256 ? v : undefined);

/**
 * `/admin/users`: the managed user store (PRESENCE_DIRECTORY=store). Passwords come in over the
 * (token-protected) API and are kept only as HA1 values. A change is seen by this process at once
 * and by every other within PRESENCE_DIRECTORY_REFRESH_MS; a disabled or deleted user is signed out.
 */
export function registerUserRoutes(app: FastifyInstance, pools: Pools, opened: OpenedDirectory): void {
  const storeOf = (reply: FastifyReply): UserStore | undefined => {
    const users = opened.users();
    if (!users) void reply.code(409).send({ error: `users are managed in the ${opened.kind ?? 'no'} directory here; set PRESENCE_DIRECTORY=store to manage them through /admin/users` });
    return users;
  };
  const aorOf = (reply: FastifyReply, uri: unknown): string | undefined => {
    const aor = typeof uri === 'string' ? normalizeAor(uri) : undefined;
    if (!aor) void reply.code(400).send({ error: 'expected a user address, sip:alice@contoso.com' });
    return aor;
  };
  const poolOk = (pool: unknown) => pool === undefined || (typeof pool === 'string' && pools.all.some((p) => p.id === pool));
  /** Runs a change and makes it visible here at once. */
  const change = async (reply: FastifyReply, aor: string, write: () => Promise<StoredUser | undefined>, status = 200) => {
    try {
      const user = await write();
      opened.directory?.set(aor, user ? entryOf(user) : undefined);
      return user ? reply.code(status).send(viewOf(user)) : reply.code(204).send();
    } catch (e) {
      if (e instanceof UserStoreError) return reply.code(e.status).send({ error: e.message });
      return reply.code(503).send({ error: (e as Error).message });
    }
  };

  app.get('/admin/users', async (req, reply) => {
    const users = storeOf(reply);
    if (!users) return reply;
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const offset = Number(q.offset ?? 0);
    const limit = Number(q.limit ?? 100);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      return reply.code(400).send({ error: `expected offset >= 0 and 1 <= limit <= ${MAX_PAGE}` });
    }
    return { ...(await users.list(offset, limit)), offset, limit };
  });

  app.get('/admin/users/:uri', async (req, reply) => {
    const users = storeOf(reply);
    const aor = users && aorOf(reply, (req.params as { uri: string }).uri);
    if (!users || !aor) return reply;
    const user = await users.get(aor);
    return user ? viewOf(user) : reply.code(404).send({ error: `${aor} is not a user` });
  });

  app.post('/admin/users', async (req, reply) => {
    const users = storeOf(reply);
    const body = isObject(req.body) ? req.body : {};
    const aor = users && aorOf(reply, body.uri);
    if (!users || !aor) return reply;
    const profile = readProfile(body);
    const password = body.password === undefined ? undefined : passwordOf(body.password);
    if (typeof profile === 'string' || (body.password !== undefined && password === undefined) || !poolOk(body.pool) || (body.disabled !== undefined && typeof body.disabled !== 'boolean')) {
      return reply.code(400).send({ error: typeof profile === 'string' ? profile : 'expected {"uri", "password"? (1-256 characters), "pool"? (one of PRESENCE_POOLS), "disabled"?: boolean, displayName, title, office, phone, company, city, state, country, email: strings}' });
    }
    const fields = { profile, ...(password !== undefined ? { password } : {}), ...(typeof body.pool === 'string' ? { pool: body.pool } : {}), ...(typeof body.disabled === 'boolean' ? { disabled: body.disabled } : {}) };
    return change(reply, aor, () => users.create(aor, fields), 201);
  });

  app.patch('/admin/users/:uri', async (req, reply) => {
    const users = storeOf(reply);
    const aor = users && aorOf(reply, (req.params as { uri: string }).uri);
    if (!users || !aor) return reply;
    const body = isObject(req.body) ? req.body : {};
    const profile = readProfile(body);
    if (typeof profile === 'string' || !poolOk(body.pool)) return reply.code(400).send({ error: typeof profile === 'string' ? profile : 'pool must be one of PRESENCE_POOLS' });
    return change(reply, aor, () => users.update(aor, (u) => ({ ...u, ...profile, ...(typeof body.pool === 'string' ? { pool: body.pool } : {}) })));
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/admin/users/:uri/${action}`, async (req, reply) => {
      const users = storeOf(reply);
      const aor = users && aorOf(reply, (req.params as { uri: string }).uri);
      if (!users || !aor) return reply;
      return change(reply, aor, () => users.update(aor, (u) => ({ ...u, disabled })));
    });
  }

  app.put('/admin/users/:uri/password', async (req, reply) => {
    const users = storeOf(reply);
    const aor = users && aorOf(reply, (req.params as { uri: string }).uri);
    if (!users || !aor) return reply;
    const password = passwordOf(isObject(req.body) ? req.body.password : undefined);
    if (password === undefined) return reply.code(400).send({ error: 'expected {"password": "<1-256 characters>"}' });
    return change(reply, aor, () => users.setPassword(aor, password));
  });

  app.delete('/admin/users/:uri', async (req, reply) => {
    const users = storeOf(reply);
    const aor = users && aorOf(reply, (req.params as { uri: string }).uri);
    if (!users || !aor) return reply;
    if (!(await users.get(aor))) return reply.code(404).send({ error: `${aor} is not a user` });
    return change(reply, aor, async () => {
      await users.delete(aor);
      return undefined;
    });
  });
}
