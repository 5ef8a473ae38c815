import { edgeSendBatch, NoRespondersError, type Bus, type EdgeSendBatchItem, type EdgeSendRequest } from '@presence/bus';
import type { Logger } from '@presence/telemetry';

/** Notifications in one message to an edge: ~1 KB of headers each besides the shared bodies (NATS: 1 MB per message by default). */
const MAX_PER_MESSAGE = 200;

/** A request for the edge holding `connectionId`, as `send` takes it. */
export interface EdgeBound extends EdgeSendRequest {
  readonly edgeId: string;
}

/**
 * Hands requests to the edges holding their connections: one `send-batch` message per edge and
 * pool with up to {@link MAX_PER_MESSAGE} requests, each distinct body once in it, the requests in
 * the order given (the edge keeps each dialog's CSeq order). Answers per request: `true` handed
 * over, `false` the edge no longer holds that connection, `undefined` the message did not reach its
 * edge (edge gone, or the bus failed: logged, not thrown, because the callers' CSeqs are committed).
 */
export async function handToEdges(bus: Bus, logger: Logger, list: readonly EdgeBound[]): Promise<(boolean | undefined)[]> {
  const groups = new Map<string, number[]>();
  const messages: number[][] = [];
  list.forEach((r, i) => {
    const key = `${r.edgeId}\u0000${r.pool}`;
    let g = groups.get(key);
    if (!g || g.length === MAX_PER_MESSAGE) {
      g = [];
      groups.set(key, g);
      messages.push(g);
    }
    g.push(i);
  });
  const outcome: (boolean | undefined)[] = new Array(list.length);
  await Promise.all(
    messages.map(async (indexes) => {
      const { edgeId, pool } = list[indexes[0]!]!;
      const bodies: string[] = [];
      const index = new Map<string, number>();
      const items = indexes.map((i): EdgeSendBatchItem => {
        const r = list[i]!;
        let b = index.get(r.body);
        if (b === undefined) index.set(r.body, (b = bodies.push(r.body) - 1));
        // One literal, no rest-copy (one item per notification); every field of a request but its pool and edge.
        const item: EdgeSendBatchItem = { connectionId: r.connectionId, method: r.method, uri: r.uri, headers: r.headers, ref: r.ref, body: b };
        if (r.prevCseq !== undefined) item.prevCseq = r.prevCseq;
        return item;
      });
      try {
        const r = await bus.request(edgeSendBatch, edgeId, { pool, bodies, items });
        indexes.forEach((i, k) => (outcome[i] = r.sent[k] === true));
      } catch (e) {
        // The edge died: its clients reconnect elsewhere and refresh their dialogs there.
        if (e instanceof NoRespondersError) logger.info({ edgeId, notifications: items.length }, 'notifications not delivered: the edge is gone');
        else logger.warn({ err: e, edgeId, notifications: items.length }, 'notifications not handed to the edge');
      }
    }),
  );
  return outcome;
}
