import { Writable } from 'node:stream';
import { createLogger } from '@presence/telemetry';

/** A logger whose lines (parsed JSON) the test reads. */
export function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', base: {}, destination }), lines };
}
