import { createLogger } from '@presence/telemetry';

/** A logger whose lines (parsed JSON) the test reads. */
export function recordingLogger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    base: {},
    destination: {
      write: (s: string) => {
        lines.push(JSON.parse(s) as Record<string, unknown>);
        return true;
      },
    },
  });
  return { logger, lines };
}
