import { sipRequestCommands } from '@presence/bus';
import { servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { loadPublicationConfig, policyOf } from './config.js';
import { handleService, type HandlerDeps } from './handlers.js';
import { startLifecycle } from './lifecycle.js';

export { publicationEnv, loadPublicationConfig } from './config.js';

/**
 * The publication service: SERVICE publish, setContainerMembers, setSubscribers and setDelegates
 * ([MS-PRES] §3.2, §3.5, §3.6, §3.9); expiry of publications and server publications (§3.2.5.5,
 * §3.2.6). Every committed change is announced as `presence-changed`.
 */
export async function startPublication(deps: ServiceDeps): Promise<RunningService> {
  const config = loadPublicationConfig(deps.env);
  const d: HandlerDeps = { store: deps.store, bus: deps.bus, pool: deps.pool, logger: deps.logger, policy: policyOf(config), directory: deps.directory };
  const ping = await servePing('publication', deps);
  const sip = await deps.bus.handle(sipRequestCommands.publication, deps.pool, (cmd) => handleService(d, cmd));
  const lifecycle = await startLifecycle({ ...d, intervalS: config.SERVER_PUBLICATION_INTERVAL_S, sweepMs: config.PRESENCE_SWEEP_MS }, deps.bus);
  return {
    stop: async () => {
      await lifecycle.stop();
      await sip.stop();
      await ping.stop();
    },
  };
}

export const publication: ServiceModule = { name: 'publication', start: startPublication };
