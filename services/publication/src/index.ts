import { servePing, type ServiceModule } from '@presence/runtime';

/** the publication service: SERVICE publish, containers, subscribers, delegates, expiry (issue 4). For now it answers pings over the bus. */
export const publication: ServiceModule = {
  name: 'publication',
  start: (deps) => servePing('publication', deps),
};
