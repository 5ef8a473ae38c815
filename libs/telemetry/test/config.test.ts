import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig } from '../src/index.js';

describe('loadConfig', () => {
  const spec = {
    HTTP_PORT: env.port({ default: 8080, doc: 'port' }),
    RETRIES: env.int({ default: 3, min: 0, max: 10, doc: 'retries' }),
    VERBOSE: env.bool({ default: false, doc: 'verbose' }),
    MODE: env.oneOf(['a', 'b'], { default: 'a', doc: 'mode' }),
    URL: env.url({ default: 'nats://127.0.0.1:4222', protocols: ['nats', 'tls'], doc: 'url' }),
    DOMAINS: env.list({ default: ['contoso.com'], item: /^[a-z.]+$/, itemText: 'domains', doc: 'domains' }),
    NAME: env.optionalString({ doc: 'name' }),
  };

  it('applies defaults for unset and empty variables', () => {
    const c = loadConfig(spec, { RETRIES: '' });
    expect(c).toEqual({ HTTP_PORT: 8080, RETRIES: 3, VERBOSE: false, MODE: 'a', URL: 'nats://127.0.0.1:4222', DOMAINS: ['contoso.com'], NAME: undefined });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses valid values', () => {
    const c = loadConfig(spec, {
      HTTP_PORT: '0',
      RETRIES: ' 10 ',
      VERBOSE: 'yes',
      MODE: 'b',
      URL: 'nats://a:4222,tls://b:4222',
      DOMAINS: 'contoso.com, fabrikam.com',
      NAME: 'x',
    });
    expect(c).toMatchObject({ HTTP_PORT: 0, RETRIES: 10, VERBOSE: true, MODE: 'b', DOMAINS: ['contoso.com', 'fabrikam.com'], NAME: 'x' });
  });

  it.each([
    ['HTTP_PORT', 'abc', 'Invalid environment variable HTTP_PORT="abc": expected a TCP/UDP port number (0-65535)'],
    ['HTTP_PORT', '70000', 'Invalid environment variable HTTP_PORT="70000": expected a TCP/UDP port number (0-65535)'],
    ['RETRIES', '1.5', 'Invalid environment variable RETRIES="1.5": expected an integer between 0 and 10'],
    ['RETRIES', '11', 'Invalid environment variable RETRIES="11": expected an integer between 0 and 10'],
    ['VERBOSE', 'maybe', 'Invalid environment variable VERBOSE="maybe": expected true or false'],
    ['MODE', 'c', 'Invalid environment variable MODE="c": expected one of a, b'],
    ['URL', 'http://x', 'Invalid environment variable URL="http://x": expected a URL with scheme nats:// or tls://'],
    ['URL', 'not a url', 'Invalid environment variable URL="not a url": expected a URL with scheme nats:// or tls://'],
    ['DOMAINS', 'contoso.com,,x', 'Invalid environment variable DOMAINS="contoso.com,,x": expected a comma-separated list of domains'],
  ])('refuses %s=%s with one line naming the variable', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig(spec, { [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as ConfigError).message).toBe(message);
    expect((err as ConfigError).message).not.toContain('\n');
  });

  it('reports a missing variable that has no default', () => {
    expect(() => loadConfig({ SECRET: env.string({ doc: 's' }) }, {})).toThrow('Missing environment variable SECRET: expected a non-empty string');
  });
});
