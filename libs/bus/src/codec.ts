import { BusDecodeError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Payloads are JSON; both buses use this, so values behave the same embedded and clustered. */
export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value ?? null));
}

export function decode(subject: string, data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch (e) {
    throw new BusDecodeError(subject, (e as Error).message, { cause: e });
  }
}

/** What a command handler sends back: a value, or the code and message of the error it threw. */
export type ReplyEnvelope = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

export function errorEnvelope(e: unknown): ReplyEnvelope {
  const err = e instanceof Error ? e : new Error(String(e));
  const code: unknown = (err as Error & { code?: unknown }).code;
  return { ok: false, error: { code: typeof code === 'string' ? code : err.name, message: err.message } };
}

export function decodeEnvelope(subject: string, data: Uint8Array): ReplyEnvelope {
  const v = decode(subject, data) as Partial<ReplyEnvelope> | null;
  if (v && v.ok === true && 'value' in v) return v as ReplyEnvelope;
  if (v && v.ok === false && typeof v.error?.code === 'string') return v as ReplyEnvelope;
  throw new BusDecodeError(subject, 'not a reply envelope');
}
