import { pageMessage, sipRequestCommands, type SipReply } from '@presence/bus';
import { reply, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { loadFederationConfig } from './config.js';
import { startLifecycle } from './lifecycle.js';
import { handleMessage } from './message.js';
import { handlePublish } from './publish.js';
import { handleSubscribe, type SubscribeDeps } from './subscribe.js';

/** RFC 6665 §4.2.1: a 2xx to a SUBSCRIBE names the dialog's remote target: the pool GRUU, so requests within it come back here. */
function withContact(r: SipReply, gruu: string): SipReply {
  if (r.status < 200 || r.status > 299 || !r.toTag) return r;
  return { ...r, headers: [...(r.headers ?? []), { name: 'Contact', value: `<${gruu}>` }] };
}

/**
 * The federation service: standard SIP/SIMPLE presence. PIDF and MSRTC subscribers of any user
 * ([MS-PRES] §3.7), watcher information of one's own subscriber list (RFC 3857/3858) and RFC 3903
 * PUBLISH of PIDF, which becomes endpoint state and enters aggregation like an enhanced client's;
 * page-mode MESSAGE (RFC 3428) relayed to the recipient's endpoints.
 */
export async function startFederation(deps: ServiceDeps): Promise<RunningService> {
  const config = loadFederationConfig(deps.env);
  const d: SubscribeDeps = {
    store: deps.store,
    bus: deps.bus,
    logger: deps.logger,
    pool: deps.pool,
    directory: deps.directory,
    config,
    domains: deps.domains,
    pools: deps.pools,
  };
  const ping = await servePing('federation', deps);
  const lifecycle = await startLifecycle(d, deps.bus);
  const sip = await deps.bus.handle(sipRequestCommands.federation, deps.pool, async (cmd) => {
    if (cmd.method === 'PUBLISH') return handlePublish(d, cmd);
    if (cmd.method === 'SUBSCRIBE') return withContact(await handleSubscribe(d, cmd), deps.pools.gruu(deps.pool));
    return reply(501);
  });
  // RFC 3428 page-mode messages for this pool's users, from any edge.
  const message = await deps.bus.handle(pageMessage, deps.pool, (m) => handleMessage(d, m));
  return {
    stop: async () => {
      await message.stop();
      await sip.stop();
      await lifecycle.stop();
      await ping.stop();
    },
  };
}

export const federation: ServiceModule = { name: 'federation', start: startFederation };
