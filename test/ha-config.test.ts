import { loadProcessConfig } from '@presence/runtime';
import { describe, expect, it } from 'vitest';

describe('high-availability configuration', () => {
  it('reads the Redis Cluster, Sentinel, WAIT and JetStream replica settings', () => {
    const c = loadProcessConfig({
      REDIS_CLUSTER_NODES: 'redis-ha-1:6379,redis-ha-2:6379',
      NATS_URL: 'nats://a:4222,nats://b:4222,nats://c:4222',
      JETSTREAM_REPLICAS: '3',
      REDIS_WAIT_REPLICAS: '1',
    });
    expect(c.REDIS_CLUSTER_NODES).toEqual(['redis-ha-1:6379', 'redis-ha-2:6379']);
    expect(c.JETSTREAM_REPLICAS).toBe('3');
    expect(c.REDIS_WAIT_REPLICAS).toBe(1);
    expect(c.REDIS_WAIT_TIMEOUT_MS).toBe(500);
    // Unset: the bus picks min(3, cluster size) itself.
    expect(loadProcessConfig({}).JETSTREAM_REPLICAS).toBeUndefined();
    expect(loadProcessConfig({}).REDIS_CLUSTER_NODES).toEqual([]);
  });

  it('stops at start-up on a bad value, naming the variable', () => {
    expect(() => loadProcessConfig({ JETSTREAM_REPLICAS: '7' })).toThrow(/JETSTREAM_REPLICAS/);
    expect(() => loadProcessConfig({ REDIS_CLUSTER_NODES: 'redis-ha-1' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadProcessConfig({ REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_SENTINEL_MASTER/);
    expect(() => loadProcessConfig({ REDIS_WAIT_REPLICAS: '-1' })).toThrow(/REDIS_WAIT_REPLICAS/);
  });
});
