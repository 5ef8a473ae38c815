import { createServer, type Server } from 'node:http';

/** An attribute value as OTLP/JSON writes it. */
type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

/** One span as received, with its resource's attributes. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
}

/** One metric data stream as received: its name and resource. */
export interface ReceivedMetric {
  name: string;
  resource: Record<string, string | number | boolean>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

function flat(kvs: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of kvs ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
  }
  return out;
}

/** OTLP/JSON ids are hex (OTLP spec, "JSON Protobuf Encoding"); base64 is accepted too, in case. */
function hexId(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return undefined;
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

/**
 * A minimal OTLP/HTTP receiver (JSON encoding, `/v1/traces` and `/v1/metrics`), as a collector would
 * be: the process under test exports to it over a real socket, and the test reads what arrived.
 * Anything that is not JSON is answered 415 and counted, so a change of encoding fails the test.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metrics: ReceivedMetric[] = [];
  /** Requests that were not OTLP/JSON (content type), or did not parse. */
  rejected = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let self: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          if (!String(req.headers['content-type']).startsWith('application/json')) throw new Error('not JSON');
          self!.take(req.url ?? '', JSON.parse(Buffer.concat(chunks).toString('utf8')));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          self!.rejected++;
          res.writeHead(415).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    self = new OtlpReceiver(server, `http://127.0.0.1:${port}`);
    return self;
  }

  private take(path: string, body: Record<string, unknown>): void {
    if (path === '/v1/traces') {
      for (const rs of (body.resourceSpans as { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[]) ?? []) {
        const resource = flat(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            this.spans.push({
              traceId: hexId(s.traceId as string)!,
              spanId: hexId(s.spanId as string)!,
              parentSpanId: hexId(s.parentSpanId as string | undefined),
              name: s.name as string,
              kind: s.kind as number,
              attributes: flat(s.attributes as KeyValue[]),
              resource,
            });
          }
        }
      }
    } else if (path === '/v1/metrics') {
      for (const rm of (body.resourceMetrics as { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { metrics?: { name: string }[] }[] }[]) ?? []) {
        const resource = flat(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) this.metrics.push({ name: m.name, resource });
      }
    } else {
      throw new Error(`unexpected path ${path}`);
    }
  }

  /** Every span of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** The spans under `root` in its trace (children, grandchildren, ...). */
  descendants(root: ReceivedSpan): ReceivedSpan[] {
    const all = this.trace(root.traceId);
    const out: ReceivedSpan[] = [];
    const parents = new Set([root.spanId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of all) {
        if (s.parentSpanId !== undefined && parents.has(s.parentSpanId) && !parents.has(s.spanId)) {
          parents.add(s.spanId);
          out.push(s);
          grew = true;
        }
      }
    }
    return out;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
