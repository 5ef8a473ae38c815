import net from 'node:net';
import tls from 'node:tls';
import { SipFramer, type SipLimits } from '@presence/sip';
import type { Logger } from '@presence/telemetry';
import type { Flow, FlowHandler, SipListener } from '../flows.js';

let nextId = 0;

/** TCP and TLS listeners: one {@link SipFramer} per connection; a framing error closes the connection. */
export async function listenStream(opts: {
  transport: 'tcp' | 'tls';
  host: string;
  port: number;
  limits: SipLimits;
  handler: FlowHandler;
  logger: Logger;
  tlsOptions?: tls.TlsOptions;
}): Promise<SipListener> {
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const framer = new SipFramer(opts.limits);
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
    };
    socket.on('data', (chunk: Buffer) => {
      let events;
      try {
        events = framer.push(chunk);
      } catch (e) {
        // The stream cannot be resynchronised (RFC 3261 §18.3): drop the connection.
        opts.logger.info({ flow: flow.id, remote: flow.remote, err: (e as Error).message }, 'closing connection after a framing error');
        socket.destroy();
        return;
      }
      for (const ev of events) {
        if (ev.type === 'message') opts.handler.receive(flow, ev.bytes, false);
        else if (ev.type === 'ping') flow.send(Buffer.from('\r\n')); // RFC 5626 §3.5.1 pong
        else opts.handler.tooLarge(flow, ev.head);
      }
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      sockets.delete(socket);
      opts.handler.closed(flow);
    });
  };
  const server = opts.transport === 'tls' ? tls.createServer(opts.tlsOptions ?? {}, onSocket) : net.createServer(onSocket);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    transport: opts.transport,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
