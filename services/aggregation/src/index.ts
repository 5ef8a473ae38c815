import { servePing, type ServiceModule } from '@presence/runtime';

/** the aggregation service: state, device, workingHours and dndState ([MS-PRES] §3.8, issue 6). For now it answers pings over the bus. */
export const aggregation: ServiceModule = {
  name: 'aggregation',
  start: (deps) => servePing('aggregation', deps),
};
