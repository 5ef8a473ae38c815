import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Logger } from 'pino';

/** A dependency the process needs to do its work (NATS, Redis, ...), checked by /readyz. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency answers; rejects or times out when it does not. */
  check(): Promise<void>;
}

export interface AdminServerOptions {
  logger: Logger;
  checks: readonly ReadinessCheck[];
  prometheus?: PrometheusExporter;
  /** How long one readiness check may take before it counts as down. */
  checkTimeoutMs?: number;
}

/** The admin HTTP server plus the switch that makes /readyz answer 503 while the process drains. */
export interface AdminServer {
  readonly app: FastifyInstance;
  /** The process's services run: /readyz/self answers 200 from now on (until draining). */
  setStarted(): void;
  setDraining(): void;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * `/healthz`: the process is alive (never depends on NATS or Redis, so a broker blip does not
 * restart every pod). `/readyz`: every dependency answers now; 503 with the failing ones named.
 * `/metrics`: Prometheus text from the OpenTelemetry meter provider.
 */
export function createAdminServer(opts: AdminServerOptions): AdminServer {
  // Probes hit these routes every few seconds: request logs go at debug level, not info.
  const app = Fastify({
    loggerInstance: opts.logger.child({ component: 'admin-http' }, { level: opts.logger.isLevelEnabled('debug') ? opts.logger.level : 'warn' }) as FastifyBaseLogger,
  });
  const timeoutMs = opts.checkTimeoutMs ?? 1000;
  let draining = false;
  let started = false;

  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness of this process alone, without its dependencies: a SIP edge stays in its load balancer
  // through a NATS or Redis blip (it answers 503 with Retry-After meanwhile) instead of every edge
  // leaving it at once, which would drop every client connection.
  app.get('/readyz/self', async (_req, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining' });
    return reply.code(started ? 200 : 503).send({ status: started ? 'ready' : 'starting' });
  });

  app.get('/readyz', async (_req, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining', checks: {} });
    const results = await Promise.all(
      opts.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), timeoutMs);
          return [c.name, 'up'] as const;
        } catch (e) {
          return [c.name, `down: ${(e as Error).message}`] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, s]) => s === 'up');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', (req, reply) => {
    if (!opts.prometheus) return reply.code(404).send();
    // The exporter writes the response itself (text/plain; version=0.0.4).
    reply.hijack();
    opts.prometheus.getMetricsRequestHandler(req.raw, reply.raw);
  });

  return {
    app,
    setStarted() {
      started = true;
    },
    setDraining() {
      draining = true;
    },
  };
}
