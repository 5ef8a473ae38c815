import { servePing, type ServiceModule } from '@presence/runtime';

/** the SIP edge: transports, registrar, authentication and routing onto the bus (issue 3). For now it answers pings over the bus. */
export const sipEdge: ServiceModule = {
  name: 'sip-edge',
  start: (deps) => servePing('sip-edge', deps),
};
