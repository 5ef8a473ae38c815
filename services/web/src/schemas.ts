import { presenceSchema } from './views.js';
import { AVAILABILITY_NAMES, MAX_AVAILABILITY, MIN_AVAILABILITY } from './availability.js';

/** JSON schemas of the API: fastify validates with them and @fastify/swagger publishes them (OpenAPI 3.1). */

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

export const tokensSchema = {
  $id: 'Tokens',
  type: 'object',
  required: ['accessToken', 'refreshToken', 'tokenType', 'expiresIn', 'user'],
  properties: {
    accessToken: { type: 'string' },
    refreshToken: { type: 'string' },
    tokenType: { type: 'string', enum: ['Bearer'] },
    expiresIn: { type: 'integer', description: 'Seconds the access token is valid' },
    user: { type: 'string' },
  },
} as const;

export const contactListSchema = {
  $id: 'ContactList',
  type: 'object',
  required: ['deltaNum', 'groups', 'contacts'],
  properties: {
    deltaNum: { type: 'integer' },
    groups: { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } } },
    contacts: {
      type: 'array',
      items: { type: 'object', required: ['uri', 'name', 'groups'], properties: { uri: { type: 'string' }, name: { type: 'string' }, groups: { type: 'array', items: { type: 'integer' } } } },
    },
  },
} as const;

const MEMBER_TYPES = ['user', 'domain', 'sameEnterprise', 'federated', 'publicCloud', 'everyone'];
const memberSchema = { type: 'object', required: ['type'], additionalProperties: false, properties: { type: { type: 'string', enum: MEMBER_TYPES }, value: { type: 'string', maxLength: 256 } } } as const;

export const containerSchema = {
  $id: 'Container',
  type: 'object',
  required: ['id', 'version', 'members'],
  properties: {
    id: { type: 'integer', description: '[MS-PRES] §3.5.1 container id (e.g. 32000 blocked, 100 public, 200 colleagues, 300 workgroup, 400 personal)' },
    version: { type: 'integer' },
    members: { type: 'array', items: memberSchema },
  },
} as const;

export const sharedSchemas = [problemSchema, tokensSchema, presenceSchema, contactListSchema, containerSchema];

const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { description: 'Problem (application/problem+json)', $ref: 'Problem#' }]));
const bearer = [{ bearerAuth: [] }];
const uriParam = { type: 'string', minLength: 3, maxLength: 256 } as const;

export const routeSchemas = {
  signIn: {
    summary: 'Sign in with directory credentials',
    tags: ['sessions'],
    body: { type: 'object', required: ['user', 'password'], additionalProperties: false, properties: { user: { type: 'string', minLength: 3, maxLength: 256 }, password: { type: 'string', minLength: 1, maxLength: 1024 } } },
    response: { 201: { $ref: 'Tokens#' }, ...problems(400, 401, 429, 503) },
  },
  refresh: {
    summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
    tags: ['sessions'],
    body: { type: 'object', required: ['refreshToken'], additionalProperties: false, properties: { refreshToken: { type: 'string', minLength: 10, maxLength: 4096 } } },
    response: { 200: { $ref: 'Tokens#' }, ...problems(400, 401, 503) },
  },
  signOut: { summary: 'Sign out: the web endpoint and what it published end', tags: ['sessions'], security: bearer, response: { 204: { type: 'null' }, ...problems(401, 403) } },
  getMe: { summary: 'Your presence as your colleagues see it', tags: ['presence'], security: bearer, response: { 200: { $ref: 'Presence#' }, ...problems(401, 403, 429, 503) } },
  putMe: {
    summary: 'Set your availability (name or number), activity and note',
    tags: ['presence'],
    security: bearer,
    body: {
      type: 'object',
      required: ['availability'],
      additionalProperties: false,
      properties: {
        availability: { oneOf: [{ type: 'string', enum: [...AVAILABILITY_NAMES] }, { type: 'integer', minimum: MIN_AVAILABILITY, maximum: MAX_AVAILABILITY }] },
        activity: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
        note: { type: 'string', maxLength: 1000, description: 'Empty removes the note' },
      },
    },
    response: { 200: { $ref: 'Presence#' }, ...problems(400, 401, 403, 409, 429, 503) },
  },
  getUser: {
    summary: 'What a user shows to you (your place in their containers applies)',
    tags: ['presence'],
    security: bearer,
    params: { type: 'object', required: ['uri'], properties: { uri: uriParam } },
    response: { 200: { $ref: 'Presence#' }, ...problems(400, 401, 403, 429, 503) },
  },
  getContacts: { summary: 'Your contact list and groups', tags: ['contacts'], security: bearer, response: { 200: { $ref: 'ContactList#' }, ...problems(401, 403, 429) } },
  addContact: {
    summary: 'Add (or change) a contact',
    tags: ['contacts'],
    security: bearer,
    body: {
      type: 'object',
      required: ['uri'],
      additionalProperties: false,
      properties: { uri: uriParam, name: { type: 'string', maxLength: 256 }, groups: { type: 'array', maxItems: 64, items: { type: 'integer', minimum: 1 } } },
    },
    response: { 201: { $ref: 'ContactList#' }, ...problems(400, 401, 403, 409, 429, 503) },
  },
  deleteContact: {
    summary: 'Remove a contact',
    tags: ['contacts'],
    security: bearer,
    params: { type: 'object', required: ['uri'], properties: { uri: uriParam } },
    response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409, 429, 503) },
  },
  addGroup: {
    summary: 'Add a group',
    tags: ['contacts'],
    security: bearer,
    body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 256 } } },
    response: { 201: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } }, ...problems(400, 401, 403, 409, 429, 503) },
  },
  deleteGroup: {
    summary: 'Remove a group',
    tags: ['contacts'],
    security: bearer,
    params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 2 } } },
    response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409, 429, 503) },
  },
  getContainers: {
    summary: 'Your presence rules: who is in which container',
    tags: ['rules'],
    security: bearer,
    response: { 200: { type: 'array', items: { $ref: 'Container#' } }, ...problems(401, 403, 429) },
  },
  putContainer: {
    summary: 'Add or remove members of one container',
    tags: ['rules'],
    security: bearer,
    params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 0, maximum: 65535 } } },
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { add: { type: 'array', maxItems: 100, items: memberSchema }, remove: { type: 'array', maxItems: 100, items: memberSchema } },
    },
    response: { 200: { $ref: 'Container#' }, ...problems(400, 401, 403, 409, 429, 503) },
  },
  stream: {
    summary: 'Live presence of your contacts (Server-Sent Events: snapshot, presence, contacts)',
    description:
      'text/event-stream. Authenticate with the Authorization header or `access_token` (EventSource cannot set headers). Resume with Last-Event-ID (or `lastEventId`): events after it are replayed, then what changed since; an unknown id gets a new snapshot.',
    tags: ['stream'],
    security: bearer,
    querystring: { type: 'object', properties: { access_token: { type: 'string', maxLength: 4096 }, lastEventId: { type: 'integer', minimum: 0 } } },
    response: { 200: { description: 'text/event-stream', type: 'string' }, ...problems(401, 403, 429, 503) },
  },
} as const;
