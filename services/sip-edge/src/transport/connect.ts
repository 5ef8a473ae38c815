import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { SipFramer, type SipLimits } from '@presence/sip';
import type { Logger } from '@presence/telemetry';
import type { Flow, FlowHandler } from '../flows.js';

let nextId = 0;

/** The addresses a host name stands for (an IP literal stands for itself). */
export async function addressesOf(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/**
 * An outgoing TCP or TLS connection to a peer server (a federation partner's edge), as a {@link Flow}
 * that feeds the same handler as accepted connections: requests the peer sends on it (NOTIFYs of
 * the subscriptions sent out) and responses to ours arrive like any other. TLS checks the peer's
 * certificate against its host name (`ca` adds trusted roots, e.g. a partner's private CA).
 */
export async function connectStream(o: {
  transport: 'tcp' | 'tls';
  host: string;
  port: number;
  ca?: string;
  limits: SipLimits;
  handler: FlowHandler;
  logger: Logger;
  timeoutMs: number;
}): Promise<Flow> {
  const socket =
    o.transport === 'tls'
      ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) ? undefined : o.host, ...(o.ca ? { ca: o.ca } : {}) })
      : net.connect({ host: o.host, port: o.port });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${o.host}:${o.port} timed out`));
    }, o.timeoutMs);
    socket.once(o.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      resolve();
    });
    socket.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30_000);
  const framer = new SipFramer(o.limits);
  const flow: Flow = {
    id: `out-${o.transport}-${process.pid}-${++nextId}`,
    transport: o.transport,
    reliable: true,
    remote: { address: socket.remoteAddress ?? o.host, port: socket.remotePort ?? o.port },
    local: { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
    send: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    close: () => socket.destroy(),
    signedIn: true,
  };
  socket.on('data', (chunk: Buffer) => {
    let events;
    try {
      events = framer.push(chunk);
    } catch (e) {
      o.logger.info({ flow: flow.id, remote: flow.remote, err: (e as Error).message }, 'closing a peer connection after a framing error');
      socket.destroy();
      return;
    }
    for (const ev of events) {
      if (ev.type === 'message') o.handler.receive(flow, ev.bytes, false);
      else if (ev.type === 'ping') flow.send(Buffer.from('\r\n')); // RFC 5626 §3.5.1 pong
      else o.handler.tooLarge(flow, ev.head);
    }
  });
  socket.on('error', () => undefined); // 'close' follows
  socket.on('close', () => o.handler.closed(flow));
  return flow;
}
