import type { TestProject } from 'vitest/node';
import { resolveNats, resolveRedis } from './infra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    natsUrl: string;
  }
}

/** Resolves Redis and NATS once for the integration project and hands their URLs to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [redis, nats] = await Promise.all([resolveRedis(), resolveNats()]);
  process.stdout.write(`integration: Redis from ${redis.how} (${redis.url}), NATS from ${nats.how} (${nats.url})\n`);
  project.provide('redisUrl', redis.url);
  project.provide('natsUrl', nats.url);
  return async () => {
    await Promise.all([redis.stop(), nats.stop()]);
  };
}
