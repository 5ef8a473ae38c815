import { context, trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Fields on every line, e.g. service, pool, instance. */
  base: Record<string, string>;
  /** Where to write; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream;
}

/**
 * One JSON logger per process. Credentials never reach the log: the SIP authorization headers are
 * redacted wherever they appear. The active trace and span ids are added to each line so a log line
 * can be found from a trace and back.
 */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: opts.base,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization',
          'proxyAuthorization',
          '*.authorization',
          '*.proxyAuthorization',
          'headers.authorization',
          'headers["proxy-authorization"]',
          'password',
          '*.password',
        ],
        censor: '[redacted]',
      },
      mixin() {
        const span = trace.getSpan(context.active());
        if (!span) return {};
        const sc = span.spanContext();
        return { traceId: sc.traceId, spanId: sc.spanId };
      },
    },
    opts.destination as pino.DestinationStream | undefined,
  );
}
