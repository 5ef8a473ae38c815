import { servePing, type ServiceModule } from '@presence/runtime';

/** the federation service: PIDF/RPID and MSRTC translation. For now it answers pings over the bus. */
export const federation: ServiceModule = {
  name: 'federation',
  start: (deps) => servePing('federation', deps),
};
