import type { RunningWeb } from '@presence/web';
import type { World } from './support/world.js';

/** Test helpers for the web service: the API over real HTTP, and an SSE reader. */

export const PASSWORDS: Record<string, string> = {
  'sip:alice@contoso.com': 'alice-dev-password',
  'sip:bob@contoso.com': 'bob-dev-password',
  'sip:carol@contoso.com': 'carol-dev-password',
};

export const webOf = (w: World): RunningWeb => w.proc.services.find((s) => 'api' in s) as RunningWeb;

export interface Http {
  (method: string, path: string, o?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

export const http = (base: string): Http => async (method, path, o = {}) => {
  const res = await fetch(base + path, {
    method,
    headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
    ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
};

export async function signIn(h: Http, user: string): Promise<{ accessToken: string; refreshToken: string }> {
  const r = await h('POST', '/api/v1/sessions', { body: { user, password: PASSWORDS[`sip:${user.replace(/^sip:/, '')}`] } });
  if (r.status !== 201) throw new Error(`sign-in of ${user}: ${r.status} ${r.text}`);
  return r.body;
}

export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

/** An SSE stream read with fetch: events as they come, `next(match)` waits for one. */
export class SseReader {
  readonly events: SseEvent[] = [];
  private waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  private readonly ctrl = new AbortController();
  status = 0;
  contentType = '';
  /** The server ended the stream. */
  ended = false;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const r = new SseReader();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: r.ctrl.signal });
    r.status = res.status;
    r.contentType = res.headers.get('content-type') ?? '';
    if (res.status === 200 && res.body) void r.pump(res.body);
    return r;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { event: 'message', data: undefined };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('event: ')) e.event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          e.data = JSON.parse(data.join('\n'));
          this.events.push(e);
          for (const w of this.waiters.slice()) {
            if (w.match(e)) {
              this.waiters.splice(this.waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        }
      }
      this.ended = true;
    } catch {
      /* aborted */
    }
  }

  next(match: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { match, resolve: (e: SseEvent) => (clearTimeout(t), resolve(e)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no matching SSE event in ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => [e.event, e.data?.uri, e.data?.availability]))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(): void {
    this.ctrl.abort();
  }
}
