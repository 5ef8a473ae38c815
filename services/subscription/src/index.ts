import { servePing, type ServiceModule } from '@presence/runtime';

/** the subscription service: self and category subscriptions and notification fan-out (issues 4, 5). For now it answers pings over the bus. */
export const subscription: ServiceModule = {
  name: 'subscription',
  start: (deps) => servePing('subscription', deps),
};
