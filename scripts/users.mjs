#!/usr/bin/env node
// Manages the users of the managed store (PRESENCE_DIRECTORY=store) through the admin API:
//   npm run users -- add sip:alice@contoso.com --password ... --display-name Alice
// The server is ADMIN_URL (default http://127.0.0.1:8080); the credential is ADMIN_TOKEN.
import { readFileSync } from 'node:fs';

const USAGE = `usage: npm run users -- <command> [arguments]
  add <sip-uri> [--password P | --password-stdin] [--display-name N] [--title T] [--office O] [--phone P]
                [--company C] [--city C] [--state S] [--country C] [--email E] [--pool ID] [--disabled]
  update <sip-uri> [the same attributes]
  passwd <sip-uri> (--password P | --password-stdin)
  disable <sip-uri>        enable <sip-uri>        delete <sip-uri>        show <sip-uri>
  list [--offset N] [--limit N] [--json]
environment: ADMIN_URL (default http://127.0.0.1:8080), ADMIN_TOKEN (required)`;

const FIELDS = {
  '--display-name': 'displayName',
  '--given-name': 'givenName',
  '--surname': 'surname',
  '--title': 'title',
  '--office': 'office',
  '--phone': 'phone',
  '--company': 'company',
  '--city': 'city',
  '--state': 'state',
  '--country': 'country',
  '--email': 'email',
  '--pool': 'pool',
};

/** Exits with the usage text and code 2 (a mistake on the command line, nothing was sent). */
function usage(why) {
  process.stderr.write(`${why ? `${why}\n` : ''}${USAGE}\n`);
  process.exit(2);
}

/** Reads `--flag value` pairs and bare switches after the command's positional arguments. */
export function parseArgs(argv) {
  const [command, ...rest] = argv;
  const positional = [];
  const fields = {};
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) positional.push(a);
    else if (a === '--disabled' || a === '--json' || a === '--password-stdin') opts[a.slice(2)] = true;
    else if (i + 1 >= rest.length) usage(`${a} needs a value`);
    else if (a in FIELDS) fields[FIELDS[a]] = rest[++i];
    else if (a === '--password' || a === '--offset' || a === '--limit') opts[a.slice(2)] = rest[++i];
    else usage(`unknown option ${a}`);
  }
  return { command, positional, fields, opts };
}

function passwordOf(opts, required) {
  if (opts['password-stdin']) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (opts.password !== undefined) return opts.password;
  if (required) usage('a password is needed: --password P or --password-stdin');
  return undefined;
}

async function call(method, path, body) {
  const base = (process.env.ADMIN_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = process.env.ADMIN_TOKEN;
  if (!token) usage('ADMIN_TOKEN is not set: it is the token the server was started with');
  let res;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    process.stderr.write(`cannot reach ${base}: ${e.cause?.message ?? e.message} (set ADMIN_URL to the server's admin address)\n`);
    process.exit(1);
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    process.stderr.write(`${res.status}: ${json?.error ?? text}\n`);
    process.exit(1);
  }
  return json;
}

const one = (positional) => {
  if (positional.length !== 1) usage('expected one user address, sip:alice@contoso.com');
  return encodeURIComponent(positional[0]);
};

async function main() {
  const { command, positional, fields, opts } = parseArgs(process.argv.slice(2));
  const print = (v) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  switch (command) {
    case 'add': {
      if (positional.length !== 1) usage('expected one user address, sip:alice@contoso.com');
      const password = passwordOf(opts, false);
      return print(await call('POST', '/admin/users', { uri: positional[0], ...fields, ...(password !== undefined ? { password } : {}), ...(opts.disabled ? { disabled: true } : {}) }));
    }
    case 'update':
      return print(await call('PATCH', `/admin/users/${one(positional)}`, fields));
    case 'passwd':
      return print(await call('PUT', `/admin/users/${one(positional)}/password`, { password: passwordOf(opts, true) }));
    case 'disable':
    case 'enable':
      return print(await call('POST', `/admin/users/${one(positional)}/${command}`, {}));
    case 'delete':
      await call('DELETE', `/admin/users/${one(positional)}`);
      return process.stdout.write(`deleted ${positional[0]}\n`);
    case 'show':
      return print(await call('GET', `/admin/users/${one(positional)}`));
    case 'list': {
      const q = new URLSearchParams({ offset: opts.offset ?? '0', limit: opts.limit ?? '100' });
      const page = await call('GET', `/admin/users?${q}`);
      if (opts.json) return print(page);
      for (const u of page.users) process.stdout.write(`${u.aor}\t${u.disabled ? 'disabled' : 'enabled'}\t${u.displayName ?? ''}\n`);
      return process.stdout.write(`${page.offset + 1}-${page.offset + page.users.length} of ${page.total}\n`);
    }
    default:
      usage(command ? `unknown command ${command}` : undefined);
  }
}

await main();
