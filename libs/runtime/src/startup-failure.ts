import { ConfigError } from '@presence/telemetry';

/** Variables whose value may be what a failed listen or file read was about. */
const PORT_VARS = ['HTTP_PORT', 'ADMIN_HTTP_PORT', 'SIP_PORT', 'SIP_TLS_PORT'];
const HOST_VARS = ['HTTP_HOST', 'ADMIN_HTTP_HOST', 'SIP_HOST'];
/** Ports the processes listen on when their variable is unset. */
const DEFAULT_PORTS: Record<string, string> = { '8080': 'HTTP_PORT', '5060': 'SIP_PORT', '5061': 'SIP_TLS_PORT' };

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  port?: number;
  address?: string;
  hostname?: string;
}

/** The variables of `env` among `names` whose value is `value`. */
function setTo(env: NodeJS.ProcessEnv, names: readonly string[], value: string | undefined): string[] {
  if (value === undefined) return [];
  return names.filter((n) => env[n]?.trim() === value);
}

function naming(vars: readonly string[]): string {
  return vars.length === 0 ? '' : ` (check ${vars.join(', ')})`;
}

/**
 * One line for an error that stopped start-up: what failed, the resource (port, address, file)
 * and the variable that names it. An operator reads this line and nothing else, so no stack trace.
 */
export function describeStartupFailure(e: unknown, env: NodeJS.ProcessEnv): string {
  if (e instanceof ConfigError) return e.message;
  const err = e as SystemError;
  const code = err?.code;
  if (err?.syscall === 'listen' || err?.syscall === 'bind' || code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') {
    const port = err.port === undefined ? undefined : String(err.port);
    const vars = [...setTo(env, PORT_VARS, port), ...setTo(env, HOST_VARS, err.address)];
    if (vars.length === 0 && port !== undefined && DEFAULT_PORTS[port] && env[DEFAULT_PORTS[port]] === undefined) vars.push(DEFAULT_PORTS[port]);
    const what = code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : code === 'EACCES' ? 'permission denied' : (code ?? 'error');
    return `Cannot listen on ${err.address ?? '?'}:${port ?? '?'}: ${what}${naming(vars)}`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || err?.syscall === 'getaddrinfo') {
    return `Cannot resolve host ${JSON.stringify(err.hostname ?? '?')}: ${code}${naming(setTo(env, HOST_VARS, err.hostname))}`;
  }
  if (err?.path !== undefined && typeof code === 'string') {
    const vars = Object.keys(env).filter((n) => env[n]?.trim() === err.path);
    const what = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code;
    return `Cannot read ${err.path}: ${what}${naming(vars)}`;
  }
  const message = err instanceof Error ? err.message : String(e);
  // OpenSSL's words for a certificate or key that is not PEM (tls.createServer).
  if (/PEM|certificate|private key/i.test(message)) return `Invalid TLS certificate or key: ${message.split('\n')[0]}${naming(['SIP_TLS_CERT_FILE', 'SIP_TLS_KEY_FILE'].filter((n) => env[n] !== undefined))}`;
  return `Start-up failed: ${message.split('\n')[0]}`;
}
