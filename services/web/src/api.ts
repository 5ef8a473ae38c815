import { createHash, timingSafeEqual } from 'node:crypto';
import { normalizeAor, type UserDirectory, type UserEntry } from '@presence/runtime';
import { parseAddGroupResult } from '@presence/documents';
import type { Logger } from '@presence/telemetry';
import { availabilityValue, type AvailabilityName } from './availability.js';
import type { ContactsReader, ContactListView } from './contacts.js';
import type { Sender, WebEndpoint } from './endpoint.js';
import type { LiveStreams } from './live.js';
import type { OwnPublisher } from './me.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError, UnauthorizedError, UpstreamError } from './problems.js';
import type { FailureCounter, RateLimiter } from './rate-limit.js';
import type { Sessions } from './sessions.js';
import type { TokenSigner } from './tokens.js';
import { presenceView, type PresenceView } from './views.js';

/** The signed-in caller of a request. */
export interface Caller {
  readonly user: string;
  readonly sessionId: string;
  readonly epid: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: string;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Whether `password` is the user's: the clear password (development users file), or the HA1 the
 * directory keeps (RFC 7616 §3.4.2: H(username:realm:password), `ha1` for `alice`, `ha1b` for
 * `alice@contoso.com`), MD5 or SHA-256.
 */
export function passwordMatches(entry: UserEntry, realm: string, password: string): boolean {
  if (entry.password !== undefined) return equal(sha256(entry.password), sha256(password));
  const [userPart, host] = entry.aor.replace(/^sips?:/, '').split('@') as [string, string];
  const forms: [string, UserEntry['ha1']][] = [
    [userPart, entry.ha1],
    [`${userPart}@${host}`, entry.ha1b],
  ];
  for (const [name, ha1] of forms) {
    if (ha1?.MD5 && equal(md5(`${name}:${realm}:${password}`), ha1.MD5.toLowerCase())) return true;
    if (ha1?.['SHA-256'] && equal(sha256(`${name}:${realm}:${password}`), ha1['SHA-256'].toLowerCase())) return true;
  }
  return false;
}

/** `sip:` URI of a user named in a path or body (`bob@contoso.com` or `sip:bob@contoso.com`). */
export function userUri(raw: string): string {
  const aor = normalizeAor(/^sips?:/i.test(raw) ? raw : `sip:${raw}`);
  if (!aor) throw new BadRequestError(`not a user address: ${JSON.stringify(raw.slice(0, 80))}`);
  return aor;
}

export interface WebApiDeps {
  readonly directory: UserDirectory | undefined;
  readonly realm: string;
  readonly signer: TokenSigner;
  readonly sessions: Sessions;
  readonly endpoint: WebEndpoint;
  readonly publisher: OwnPublisher;
  readonly contacts: ContactsReader;
  readonly live: LiveStreams;
  readonly limiter: RateLimiter;
  readonly signInFailures: FailureCounter;
  readonly accessTtlS: number;
  readonly sessionTtlS: number;
  readonly logger: Logger;
}

/** What the routes do, apart from HTTP: authentication, and each operation as the caller. */
export class WebApi {
  constructor(readonly d: WebApiDeps) {}

  private tokens(user: string, sessionId: string, nonce: string): Tokens {
    const now = Math.floor(Date.now() / 1000);
    return {
      accessToken: this.d.signer.sign({ sub: user, sid: sessionId, typ: 'access', exp: now + this.d.accessTtlS }),
      refreshToken: this.d.signer.sign({ sub: user, sid: sessionId, typ: 'refresh', exp: now + this.d.sessionTtlS, n: nonce }),
      tokenType: 'Bearer',
      expiresIn: this.d.accessTtlS,
      user,
    };
  }

  async signIn(userRaw: string, password: string, source: string): Promise<Tokens> {
    const user = normalizeAor(/^sips?:/i.test(userRaw) ? userRaw : `sip:${userRaw}`);
    const key = user ?? userRaw.toLowerCase();
    if (this.d.signInFailures.blocked(key)) throw new RateLimitedError('too many failed sign-ins; wait and try again', 300);
    const entry = user === undefined ? undefined : this.d.directory?.get(user);
    if (!entry || !passwordMatches(entry, this.d.realm, password)) {
      this.d.signInFailures.fail(key);
      // One line per failure (source, user): what fail2ban reads, as for SIP digests.
      this.d.logger.warn({ source, user: key, reason: entry ? 'wrong password' : 'unknown user' }, 'web sign-in failed');
      throw new UnauthorizedError('wrong user or password');
    }
    const session = await this.d.sessions.create(entry.aor);
    const sender = { user: entry.aor, epid: session.epid, connectionId: session.id };
    await this.d.publisher.online(sender).catch((e: unknown) => this.d.logger.warn({ err: e, user: entry.aor }, 'publishing the web endpoint’s machineState failed'));
    await this.defaultRules(sender);
    return this.tokens(entry.aor, session.id, session.refreshNonce);
  }

  /**
   * A user with no presence rules at all gets Lync's first sign-in default: colleagues
   * (sameEnterprise) in container 200 ([MS-PRES] §3.5.1), so people of the enterprise see them.
   */
  private async defaultRules(s: Sender): Promise<void> {
    if ((await this.d.contacts.containers(s.user)).length > 0) return;
    const r = await this.d.endpoint.setContainer(s, 200, 0, [{ action: 'add', type: 'sameEnterprise' }]).catch(() => undefined);
    if (r && r.status !== 200) this.d.logger.info({ user: s.user, status: r.status }, 'default presence rules not set');
  }

  async refresh(token: string): Promise<Tokens> {
    const c = this.d.signer.verify(token, 'refresh');
    if (!c?.n) throw new UnauthorizedError('refresh token invalid or expired');
    if (!this.d.directory?.get(c.sub)) throw new ForbiddenError('the user may no longer sign in');
    const next = await this.d.sessions.refresh(c.sub, c.sid, c.n);
    if (!next) throw new UnauthorizedError('session ended or refresh token already used');
    await this.keepEndpoint(c.sub, next);
    return this.tokens(c.sub, next.id, next.refreshNonce);
  }

  /** Extends the session's endpoint, registering it again (and showing it online) when it had ended. */
  private async keepEndpoint(user: string, session: { id: string; epid: string } & Parameters<Sessions['keepEndpoint']>[1]): Promise<void> {
    if ((await this.d.sessions.keepEndpoint(user, session)) === 'registered') {
      await this.d.publisher.online({ user, epid: session.epid, connectionId: session.id }).catch((e: unknown) => this.d.logger.warn({ err: e, user }, 'publishing the web endpoint’s machineState failed'));
    }
  }

  /** The caller of an access token: the session must still exist and the user be in the directory; then the per-user rate limit. */
  async authenticate(token: string | undefined): Promise<Caller> {
    if (!token) throw new UnauthorizedError('sign in first: Authorization: Bearer <access token>');
    const c = this.d.signer.verify(token, 'access');
    if (!c) throw new UnauthorizedError('access token invalid or expired');
    const cur = await this.d.sessions.get(c.sub, c.sid);
    if (!cur) throw new UnauthorizedError('session ended');
    if (!this.d.directory?.get(c.sub)) throw new ForbiddenError('the user may no longer use the service');
    // The registrar signed the user out (endpoint-gone `signed-out`): this session does not come back.
    if (cur.session.signedOut) throw new UnauthorizedError('session ended');
    const wait = this.d.limiter.take(c.sub);
    if (wait > 0) throw new RateLimitedError('too many requests', wait);
    // A session used after its endpoint expired (the browser slept) is an endpoint again.
    if (!(await this.d.sessions.endpointAlive(c.sub, cur.session))) await this.keepEndpoint(c.sub, cur.session);
    return { user: c.sub, sessionId: c.sid, epid: cur.session.epid };
  }

  private sender(c: Caller): Sender {
    return { user: c.user, epid: c.epid, connectionId: c.sessionId };
  }

  async signOut(c: Caller): Promise<void> {
    await this.d.live.closeSession(c.sessionId);
    await this.d.sessions.end(c.user, c.sessionId);
  }

  /** A poll (Expires: 0) of one user's categories as the caller's endpoint: the same resolution a SIP watcher gets. */
  async presenceOf(c: Caller, target: string): Promise<PresenceView> {
    const pool = (await this.d.endpoint.byPool([target])).keys().next().value!;
    const { reply, presentities } = await this.d.endpoint.poll(this.sender(c), [target], pool);
    if (reply.status !== 200) throw new UpstreamError(`subscription answered ${reply.status}`);
    const p = presentities.find((x) => x.uri.toLowerCase() === target.toLowerCase());
    return presenceView(target, p?.categories ?? []);
  }

  async setPresence(c: Caller, body: { availability: AvailabilityName | number; activity?: string; note?: string }): Promise<PresenceView> {
    const availability = typeof body.availability === 'number' ? body.availability : availabilityValue(body.availability);
    await this.d.publisher.set(this.sender(c), {
      availability,
      ...(body.activity !== undefined ? { activity: body.activity } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
    });
    return this.presenceOf(c, c.user);
  }

  /** A contact list primitive with the list's current deltaNum; one retry when another endpoint changed it meanwhile. */
  private async contactOp(c: Caller, make: (list: ContactListView) => Parameters<WebEndpoint['contactOp']>[1]): Promise<{ body?: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const list = await this.d.contacts.read(c.user);
      const r = await this.d.endpoint.contactOp(this.sender(c), make(list));
      if (r.status === 200) return { ...(r.body !== undefined ? { body: r.body } : {}) };
      if (r.status === 400) throw new BadRequestError(r.reason ?? 'refused');
      if (r.status === 403 || r.status === 413) throw new ConflictError(r.reason ?? 'refused');
      if (r.status !== 409 && r.status !== 500) throw new UpstreamError(`contact change answered ${r.status}`);
    }
    throw new ConflictError('the contact list changed meanwhile; try again');
  }

  async addContact(c: Caller, body: { uri: string; name?: string; groups?: number[] }): Promise<ContactListView> {
    const uri = userUri(body.uri);
    await this.contactOp(c, (l) => ({ op: 'setContact', deltaNum: l.deltaNum, uri, name: body.name ?? '', groups: body.groups ?? [] }));
    return this.d.contacts.read(c.user);
  }

  async deleteContact(c: Caller, raw: string): Promise<void> {
    const uri = userUri(raw);
    const list = await this.d.contacts.read(c.user);
    if (!list.contacts.some((x) => x.uri.toLowerCase() === uri.toLowerCase())) throw new NotFoundError(`${uri} is not a contact`);
    await this.contactOp(c, (l) => ({ op: 'deleteContact', deltaNum: l.deltaNum, uri }));
  }

  async addGroup(c: Caller, name: string): Promise<number> {
    const r = await this.contactOp(c, (l) => ({ op: 'addGroup', deltaNum: l.deltaNum, name }));
    const id = parseAddGroupResult(r.body ?? '');
    if (id === undefined) throw new UpstreamError('addGroup answered no group id');
    return id;
  }

  async deleteGroup(c: Caller, id: number): Promise<void> {
    const list = await this.d.contacts.read(c.user);
    if (!list.groups.some((g) => g.id === id)) throw new NotFoundError(`no group ${id}`);
    await this.contactOp(c, (l) => ({ op: 'deleteGroup', deltaNum: l.deltaNum, id }));
  }

  async setContainer(c: Caller, id: number, body: { add?: { type: string; value?: string }[]; remove?: { type: string; value?: string }[] }) {
    const changes = [
      ...(body.add ?? []).map((m) => ({ action: 'add' as const, ...m })),
      ...(body.remove ?? []).map((m) => ({ action: 'remove' as const, ...m })),
    ];
    for (let attempt = 0; attempt < 2; attempt++) {
      const version = (await this.d.contacts.containers(c.user)).find((x) => x.id === id)?.version ?? 0;
      const r = await this.d.endpoint.setContainer(this.sender(c), id, version, changes);
      if (r.status === 200 && id === 32000 && changes.some((x) => x.action === 'add')) await this.d.publisher.blockedPlaceholders(this.sender(c));
      if (r.status === 200) return (await this.d.contacts.containers(c.user)).find((x) => x.id === id) ?? { id, version: 0, members: [] };
      if (r.status === 400) throw new BadRequestError(r.reason ?? 'refused');
      if (r.status !== 409) throw new UpstreamError(`setContainerMembers answered ${r.status}`);
    }
    throw new ConflictError('the container changed meanwhile; try again');
  }
}
