import { afterEach, beforeEach } from 'vitest';
import type { RunningXmppEdge } from '@presence/xmpp-edge';
import { startWorld, type World } from '../support/world.js';
import { RawXmpp } from './raw-client.js';

export interface RawXmppWorld {
  readonly w: World;
  readonly edge: RunningXmppEdge;
  /** A new connection with STARTTLS done, closed after the test. */
  secure(): Promise<RawXmpp>;
  /** A new plain connection, closed after the test. */
  plain(): Promise<RawXmpp>;
}

/** An embedded world per test (with `env`) and hand-driven XMPP connections to it. */
export function useRawXmppWorld(env: Record<string, string> = {}): RawXmppWorld {
  let w: World | undefined;
  let edge: RunningXmppEdge | undefined;
  const conns: RawXmpp[] = [];
  const keep = (c: RawXmpp) => (conns.push(c), c);
  beforeEach(async () => {
    w = await startWorld({ mode: 'embedded', env });
    edge = w.proc.services.find((s) => 'xmppPort' in s) as RunningXmppEdge;
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) c.close();
    await w?.stop();
  });
  return {
    get w() {
      return w!;
    },
    get edge() {
      return edge!;
    },
    secure: async () => keep(await RawXmpp.secure(edge!.xmppPort, edge!.certificate)),
    plain: async () => keep(await RawXmpp.open(edge!.xmppPort)),
  };
}
