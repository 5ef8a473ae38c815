import { ConfigError } from '@presence/telemetry';
import { describe, expect, it } from 'vitest';
import { loadProcessConfig } from '../src/index.js';

describe('process configuration', () => {
  it('has defaults that run the embedded mode with nothing set', () => {
    const c = loadProcessConfig({});
    expect(c).toMatchObject({ HTTP_PORT: 8080, POOL_ID: 'pool1', LOG_LEVEL: 'info', NATS_URL: 'nats://127.0.0.1:4222', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(c.instanceId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it.each([
    ['HTTP_PORT', 'abc'],
    ['POOL_ID', 'pool.1'],
    ['INSTANCE_ID', 'edge 1'],
    ['NATS_URL', 'redis://x'],
    ['REDIS_URL', 'nats://x'],
    ['LOG_LEVEL', 'loud'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ])('stops on a bad %s with an error naming it', (name, value) => {
    expect(() => loadProcessConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadProcessConfig({ [name]: value })).toThrow(new RegExp(`^Invalid environment variable ${name}=`));
  });
});
