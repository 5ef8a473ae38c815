import net from 'node:net';
import tls from 'node:tls';
import { SipFramer, type SipLimits } from '@presence/sip';
import type { Logger } from '@presence/telemetry';
import type { Flow, FlowHandler, SipListener } from '../flows.js';
import type { InFlight } from '../in-flight.js';

let nextId = 0;

/** What a connection may hold (issue 12 item 4; Kamailio's tcp_connection_lifetime and kin). */
export interface ConnectionLimits {
  /**
   * Connections per source address not signed in yet, over every listener; past its limit a new
   * one is closed at once. A connection leaves the count when it signs in.
   */
  readonly perIp: InFlight;
  /** A connection that has not signed in is closed after this long without a complete message. */
  readonly unauthenticatedIdleMs: number;
  /** A message begun must be complete within this (slow senders hold no connection). */
  readonly messageMs: number;
  /** A TLS handshake must be done within this. */
  readonly tlsHandshakeMs: number;
}

/** TCP and TLS listeners: one {@link SipFramer} per connection; a framing error closes the connection. */
export async function listenStream(opts: {
  transport: 'tcp' | 'tls';
  host: string;
  port: number;
  limits: SipLimits;
  connections: ConnectionLimits;
  handler: FlowHandler;
  logger: Logger;
  tlsOptions?: tls.TlsOptions;
}): Promise<SipListener> {
  const sockets = new Set<net.Socket>();
  const cl = opts.connections;
  /** The per-address slot of each counted connection, by `address|port`, to give back once. */
  const slots = new Map<string, () => void>();
  const slotKey = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}`;
  // Counted on the raw TCP connection, before any TLS handshake, so stalled handshakes count too.
  const onConnection = (raw: net.Socket) => {
    const ip = raw.remoteAddress ?? '';
    if (!cl.perIp.tryAcquire(ip)) {
      opts.logger.warn({ remote: ip, transport: opts.transport }, 'too many connections from one address: closing the new one');
      raw.destroy();
      return;
    }
    const key = slotKey(raw);
    const giveBack = () => {
      if (slots.get(key) !== giveBack) return;
      slots.delete(key);
      cl.perIp.release(ip);
    };
    slots.set(key, giveBack);
    raw.once('close', giveBack);
  };
  const onSocket = (socket: net.Socket) => {
    if (socket.destroyed) return; // refused by the per-address cap
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const framer = new SipFramer(opts.limits);
    let messageTimer: NodeJS.Timeout | undefined;
    const flow: Flow = {
      id: `${opts.transport}-${process.pid}-${++nextId}`,
      transport: opts.transport,
      reliable: true,
      remote: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      local: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
      send: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      close: () => socket.destroy(),
      pauseReading: () => {
        // Not the sender's fault while we hold its bytes: the message clock restarts with the next read.
        clearTimeout(messageTimer);
        messageTimer = undefined;
        socket.pause();
      },
      resumeReading: () => socket.resume(),
      markSignedIn: () => slots.get(slotKey(socket))?.(),
    };
    // Two clocks: a message begun must end in time; a connection not signed in must not sit idle.
    const closeFor = (why: string) => {
      opts.logger.info({ flow: flow.id, remote: flow.remote, why }, 'closing connection');
      socket.destroy();
    };
    const idle = () => {
      if (!flow.signedIn) closeFor('idle and not signed in');
      else idleTimer.refresh(); // signed-in connections are kept (CRLF keep-alives, RFC 5626)
    };
    const idleTimer = setTimeout(idle, cl.unauthenticatedIdleMs);
    idleTimer.unref();
    socket.on('data', (chunk: Buffer) => {
      messageTimer ??= setTimeout(() => closeFor('message not completed in time'), cl.messageMs);
      let events;
      try {
        events = framer.push(chunk);
      } catch (e) {
        // The stream cannot be resynchronised (RFC 3261 §18.3): drop the connection.
        opts.logger.info({ flow: flow.id, remote: flow.remote, err: (e as Error).message }, 'closing connection after a framing error');
        socket.destroy();
        return;
      }
      if (events.length > 0) {
        clearTimeout(messageTimer);
        messageTimer = undefined;
      }
      // Keep-alive pings alone do not keep a connection that never signed in.
      if (events.some((ev) => ev.type !== 'ping')) idleTimer.refresh();
      for (const ev of events) {
        if (ev.type === 'message') opts.handler.receive(flow, ev.bytes, false);
        else if (ev.type === 'ping') flow.send(Buffer.from('\r\n')); // RFC 5626 §3.5.1 pong
        else opts.handler.tooLarge(flow, ev.head);
      }
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      clearTimeout(messageTimer);
      clearTimeout(idleTimer);
      sockets.delete(socket);
      opts.handler.closed(flow);
    });
  };
  const server =
    opts.transport === 'tls' ? tls.createServer({ ...opts.tlsOptions, handshakeTimeout: cl.tlsHandshakeMs }, onSocket) : net.createServer(onSocket);
  server.prependListener('connection', onConnection);
  server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
    opts.logger.debug({ remote: s.remoteAddress, err: e.message }, 'TLS handshake failed or timed out');
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    transport: opts.transport,
    port: (server.address() as net.AddressInfo).port,
    ...(server instanceof tls.Server ? { setCertificate: (pem: { cert: string; key: string }) => server.setSecureContext({ ...opts.tlsOptions, ...pem }) } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        // Resolves once every connection has reported 'close' (so the handler has seen each one).
        const closing = [...sockets].map((s) => new Promise((r) => s.once('close', r)));
        for (const s of sockets) s.destroy();
        server.close(() => void Promise.all(closing).then(() => resolve()));
      }),
  };
}
