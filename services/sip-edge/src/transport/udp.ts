import dgram from 'node:dgram';
import type { Logger } from '@presence/telemetry';
import type { Flow, FlowHandler, SipListener } from '../flows.js';

/**
 * The UDP listener. A flow is a remote address and port; it is forgotten after `idleMs` without
 * traffic (there is no connection to close).
 */
export async function listenUdp(opts: { host: string; port: number; handler: FlowHandler; logger: Logger; idleMs?: number; maxFlows?: number }): Promise<SipListener> {
  const socket = dgram.createSocket({ type: opts.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
  const flows = new Map<string, { flow: Flow; seen: number }>();
  const idleMs = opts.idleMs ?? 600_000;
  const maxFlows = opts.maxFlows ?? 100_000;
  socket.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let entry = flows.get(key);
    if (!entry) {
      const local = socket.address();
      const flow: Flow = {
        id: `udp-${key}`,
        transport: 'udp',
        reliable: false,
        remote: { address: rinfo.address, port: rinfo.port },
        local: { address: local.address, port: local.port },
        // A datagram the kernel refuses (too large, no route) is logged, never dropped silently.
        send: (bytes) =>
          socket.send(bytes, rinfo.port, rinfo.address, (err) => {
            if (err) opts.logger.warn({ err: err.message, remote: key, bytes: bytes.length }, 'UDP send failed');
          }),
        close: () => flows.delete(key),
      };
      entry = { flow, seen: Date.now() };
      // Bounded: past `maxFlows` source addresses the one seen first goes (it comes back with its next datagram).
      if (flows.size >= maxFlows) {
        const [oldKey, old] = flows.entries().next().value!;
        flows.delete(oldKey);
        opts.handler.closed(old.flow);
      }
      flows.set(key, entry);
    }
    entry.seen = Date.now();
    opts.handler.receive(entry.flow, msg, true);
  });
  socket.on('error', (e) => opts.logger.warn({ err: e }, 'udp socket error'));
  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [k, e] of flows) {
      if (e.seen < cutoff) {
        flows.delete(k);
        opts.handler.closed(e.flow);
      }
    }
  }, Math.min(idleMs, 60_000));
  sweep.unref();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port, opts.host, () => resolve());
  });
  return {
    transport: 'udp',
    port: socket.address().port,
    close: async () => {
      clearInterval(sweep);
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
