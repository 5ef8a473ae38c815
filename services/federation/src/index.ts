import { sipRequestCommands } from '@presence/bus';
import { reply, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';

/**
 * The federation service: PIDF/RPID and MSRTC subscribers and RFC 3903 PUBLISH. Until it
 * translates categories, it answers those requests 501 at once, so standard SIMPLE clients turn
 * presence off instead of retrying.
 */
export async function startFederation(deps: ServiceDeps): Promise<RunningService> {
  const ping = await servePing('federation', deps);
  const sip = await deps.bus.handle(sipRequestCommands.federation, deps.pool, () => reply(501));
  return {
    stop: async () => {
      await sip.stop();
      await ping.stop();
    },
  };
}

export const federation: ServiceModule = { name: 'federation', start: startFederation };
