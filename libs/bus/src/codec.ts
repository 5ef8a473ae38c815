import type { CommandDef } from './contract.js';
import type { CommandHandler } from './bus.js';
import { BusDecodeError, RemoteHandlerError } from './errors.js';
import { receiveSpan, SpanKind, type HeaderCarrier } from './trace.js';

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

/** The value of a reply, or the handler's failure as a {@link RemoteHandlerError}. */
export function unwrapReply<Res>(subject: string, data: Uint8Array): Res {
  return unwrapEnvelope<Res>(subject, decodeEnvelope(subject, data));
}

export function unwrapEnvelope<Res>(subject: string, env: ReplyEnvelope): Res {
  if (!env.ok) throw new RemoteHandlerError(subject, env.error.code, env.error.message);
  return env.value as Res;
}

/** Runs a command handler on a request in a SERVER span, and encodes what it answers (or throws) as the reply. */
export async function serveCommand<Req, Res>(
  cmd: CommandDef<Req, Res>,
  subject: string,
  handler: CommandHandler<Req, Res>,
  data: Uint8Array,
  carrier: HeaderCarrier | undefined,
): Promise<Uint8Array> {
  return encode(await serveValue(cmd, subject, handler, () => decode(subject, data) as Req, carrier));
}

/** {@link serveCommand} without the wire: the request and the reply stay values (the in-process bus). */
export async function serveValue<Req, Res>(
  cmd: CommandDef<Req, Res>,
  subject: string,
  handler: CommandHandler<Req, Res>,
  payload: () => Req,
  carrier: HeaderCarrier | undefined,
): Promise<ReplyEnvelope> {
  try {
    const value = await receiveSpan(`handle ${cmd.name}`, SpanKind.SERVER, subject, carrier, async () => handler(payload(), { subject }));
    return { ok: true, value: value ?? null };
  } catch (e) {
    return errorEnvelope(e);
  }
}
