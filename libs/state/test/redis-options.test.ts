import { describe, expect, it } from 'vitest';
import { parseHostPort, RedisStore } from '../src/redis-store.js';

describe('Redis topology options', () => {
  it('parses host:port lists as REDIS_CLUSTER_NODES and REDIS_SENTINELS give them', () => {
    expect(parseHostPort('redis-cluster-0.redis-cluster:6379')).toEqual({ host: 'redis-cluster-0.redis-cluster', port: 6379 });
    expect(parseHostPort(' 10.0.0.5:7001 ')).toEqual({ host: '10.0.0.5', port: 7001 });
    expect(parseHostPort('[::1]:26379')).toEqual({ host: '::1', port: 26379 });
    expect(parseHostPort('redis')).toEqual({ host: 'redis', port: 6379 });
    for (const bad of ['', ':6379', 'redis:0', 'redis:70000']) expect(() => parseHostPort(bad), bad).toThrow(RangeError);
  });

  it('refuses Sentinels without the master name', () => {
    expect(() => RedisStore.create({ sentinels: ['127.0.0.1:26379'] })).toThrow(/sentinelMaster/);
  });
});
