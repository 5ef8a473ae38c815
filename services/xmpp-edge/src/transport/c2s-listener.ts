import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from '@presence/telemetry';
import type { C2sStream, Wire } from '../c2s-stream.js';

/** Bytes written to a connection and not yet taken by the client, past which it is closed. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

export interface C2sListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: { cert: string; key: string };
  readonly idleMs: number;
  readonly maxConnectionsPerIp: number;
  readonly logger: Logger;
  /** Makes the protocol side of a new connection. */
  readonly accept: (wire: Wire) => C2sStream;
}

export interface C2sListener {
  readonly port: number;
  setCertificate(tls: { cert: string; key: string }): void;
  close(): Promise<void>;
}

/**
 * The XMPP c2s listener (RFC 6120 §3): plain TCP that every stream upgrades with STARTTLS
 * (§5), the only place this service touches sockets.
 */
export async function listenC2s(o: C2sListenerOptions): Promise<C2sListener> {
  let context: SecureContext = createSecureContext(o.tls);
  const open = new Set<Socket>();
  const perIp = new Map<string, number>();
  const server: Server = createServer((raw) => {
    const ip = raw.remoteAddress ?? '?';
    const count = (perIp.get(ip) ?? 0) + 1;
    if (count > o.maxConnectionsPerIp) {
      raw.destroy();
      return;
    }
    perIp.set(ip, count);
    open.add(raw);
    let current: Socket = raw;
    raw.setNoDelay(true);
    raw.setTimeout(o.idleMs);
    const wire: Wire = {
      id: `x${randomBytes(9).toString('base64url')}`,
      remote: `${ip}:${raw.remotePort ?? 0}`,
      ip,
      write: (s) => {
        if (current.destroyed) return;
        // A client that does not read what it is sent is cut off rather than buffered for without end.
        if (current.writableLength > MAX_UNSENT_BYTES) {
          o.logger.info({ source: wire.remote, unsent: current.writableLength }, 'XMPP client not reading: connection closed');
          current.destroy();
          return;
        }
        current.write(s);
      },
      startTls: () => {
        raw.removeListener('data', onData);
        const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
        current = secure;
        secure.on('data', onData);
        secure.on('error', (e) => {
          o.logger.info({ err: e, source: wire.remote }, 'XMPP TLS error');
          secure.destroy();
        });
        secure.on('close', () => stream.gone());
      },
      end: () => {
        current.end();
        // A client that never answers the close gets cut off.
        setTimeout(() => current.destroy(), 2000).unref();
      },
    };
    const stream = o.accept(wire);
    const onData = (chunk: Buffer) => stream.data(chunk);
    raw.on('data', onData);
    raw.on('timeout', () => stream.idle());
    raw.on('error', () => raw.destroy());
    raw.on('close', () => {
      open.delete(raw);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
      stream.gone();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : o.port,
    setCertificate: (tls) => {
      context = createSecureContext(tls);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
