import { describe, expect, it } from 'vitest';
import { ConfigError, parseResourceAttributes, readOtelEnv, samplerOf } from '../src/index.js';

describe('standard OTEL_* variables (OpenTelemetry environment variable specification)', () => {
  it('without an endpoint: no traces and no OTLP metrics, service.name is the process name', () => {
    const s = readOtelEnv({}, 'sip-edge', 'edge-1');
    expect(s.tracesUrl).toBeUndefined();
    expect(s.metricsUrl).toBeUndefined();
    expect(s.resource).toEqual({ 'service.name': 'sip-edge', 'service.instance.id': 'edge-1' });
    expect(s.metricsIntervalMs).toBe(60_000);
    expect(s.sampler.toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT gets the signal paths appended; the signal-specific variables are used as given', () => {
    expect(readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'p', 'i')).toMatchObject({
      tracesUrl: 'http://collector:4318/v1/traces',
      metricsUrl: 'http://collector:4318/v1/metrics',
    });
    const own = readOtelEnv(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t.example/x', OTEL_METRICS_EXPORTER: 'none' },
      'p',
      'i',
    );
    expect(own.tracesUrl).toBe('https://t.example/x');
    expect(own.metricsUrl).toBeUndefined();
    expect(readOtelEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/v1/metrics' }, 'p', 'i')).toMatchObject({ metricsUrl: 'http://m:4318/v1/metrics' });
    expect(readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, 'p', 'i').tracesUrl).toBeUndefined();
  });

  it('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, which wins over the process name', () => {
    expect(readOtelEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,k8s.pod.name=edge-0' }, 'p', 'i').resource).toEqual({
      'service.name': 'from-attrs',
      'service.instance.id': 'i',
      'k8s.pod.name': 'edge-0',
    });
    expect(readOtelEnv({ OTEL_SERVICE_NAME: 'mine', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }, 'p', 'i').serviceName).toBe('mine');
    // An operator may pin service.instance.id too.
    expect(readOtelEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7' }, 'p', 'i').resource['service.instance.id']).toBe('pod-7');
  });

  it('OTEL_RESOURCE_ATTRIBUTES values are percent-decoded; malformed lists stop start-up naming the variable', () => {
    expect(parseResourceAttributes('a=b%2Cc, d = e ,')).toEqual({ a: 'b,c', d: 'e' });
    expect(parseResourceAttributes(undefined)).toEqual({});
    for (const bad of ['novalue', '=x', 'k=%E0%A4%A']) {
      expect(() => parseResourceAttributes(bad)).toThrow(ConfigError);
      try {
        parseResourceAttributes(bad);
      } catch (e) {
        expect((e as ConfigError).variable).toBe('OTEL_RESOURCE_ATTRIBUTES');
      }
    }
  });

  it('OTEL_TRACES_SAMPLER and _ARG build the specification samplers; bad values stop start-up', () => {
    expect(samplerOf('always_off', undefined).toString()).toBe('AlwaysOffSampler');
    expect(samplerOf('traceidratio', '0.25').toString()).toBe('TraceIdRatioBased{0.25}');
    expect(samplerOf('parentbased_traceidratio', '0.5').toString()).toMatch(/ParentBased\{root=TraceIdRatioBased\{0.5\}/);
    expect(() => samplerOf('sometimes', undefined)).toThrow(/OTEL_TRACES_SAMPLER=/);
    expect(() => samplerOf('traceidratio', '2')).toThrow(/OTEL_TRACES_SAMPLER_ARG=/);
    expect(() => readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }, 'p', 'i')).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => readOtelEnv({ OTEL_METRIC_EXPORT_INTERVAL: '5' }, 'p', 'i')).toThrow(/OTEL_METRIC_EXPORT_INTERVAL/);
  });
});
