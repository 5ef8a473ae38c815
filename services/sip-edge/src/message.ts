import { pageMessage, type Bus } from '@presence/bus';
import type { Pools } from '@presence/runtime';
import { addressOfRecord, createResponse, getHeader, param, parseNameAddr, parseUri, randomToken, type SipHeader, type SipRequest, type SipResponse } from '@presence/sip';

/**
 * How long an endpoint has to answer a relayed MESSAGE before it counts as not delivered. The
 * edge that relays waits this long; federation waits a little more for each edge's answer, and the
 * sending edge a little more again for federation's (each hop's answer must reach the one before).
 */
export const MESSAGE_DELIVERY_TIMEOUT_MS = 5000;
/** What federation adds to {@link MESSAGE_DELIVERY_TIMEOUT_MS} for an edge's answer, and the sending edge for federation's. */
export const MESSAGE_HOP_MARGIN_MS = 1000;

export interface MessageRelayOptions {
  bus: Bus;
  pools: Pools;
  /** Domains this server serves (lower case): a recipient elsewhere is not ours to deliver. */
  domains: readonly string[];
  /** `SIP_MESSAGE_MAX_BYTES`: the largest body relayed; larger ones get 413. */
  maxBytes: number;
}

/** `type/subtype` (RFC 3261 §20.15 media-type), without parameters. */
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Page-mode instant messages (RFC 3428) from an authenticated sender: checked here, then handed to
 * the recipient's home pool as a `pageMessage` command; that pool's federation service relays it
 * to each registered endpoint of the recipient. Nothing is stored.
 */
export class MessageRelay {
  constructor(private readonly o: MessageRelayOptions) {}

  async relay(req: SipRequest, user: string, epid: string | undefined): Promise<SipResponse> {
    const reply = (status: number, reason?: string, headers: SipHeader[] = []) => createResponse(req, status, { toTag: randomToken(), headers, ...(reason ? { reason } : {}) });
    // RFC 3428 §7: a MESSAGE outside a dialog is page mode; one inside a dialog needs a dialog this server does not have.
    const to = parseNameAddr(getHeader(req, 'To') ?? '');
    if (!to.ok) return reply(400, 'Bad To Header');
    if (param(to.value.params, 'tag') !== undefined) return reply(481, 'No Such Dialog');
    // RFC 3428 §8: a UAS may refuse a message too large for it with 413. Checked first: the body is not read any further.
    if (req.body.length > this.o.maxBytes) return reply(413, `Message Larger Than ${this.o.maxBytes} Bytes`);
    if (req.body.length === 0) return reply(400, 'Missing Message Body');
    const contentType = (getHeader(req, 'Content-Type') ?? '').trim();
    const media = contentType.split(';')[0]!.trim();
    if (!MEDIA_TYPE.test(media)) return reply(400, 'Missing Or Bad Content-Type');
    // RFC 3428 §4: the Request-URI names the recipient (a proxy may have changed To's meaning; it never changes the R-URI's).
    const target = parseUri(req.uri);
    if (!target.ok || target.value.user === undefined) return reply(404, 'No Such User');
    const recipient = addressOfRecord(target.value);
    if (!this.o.domains.includes(target.value.host.toLowerCase())) return reply(404, 'Not A Domain Of This Server');
    const pool = await this.o.pools.home(recipient);
    const callId = getHeader(req, 'Call-ID');
    const answer = await this.o.bus.request(
      pageMessage,
      pool,
      {
        from: user,
        to: recipient,
        contentType,
        body: req.body.toString('utf8'),
        ...(epid !== undefined ? { fromEpid: epid } : {}),
        ...(callId !== undefined ? { callId } : {}),
      },
      { timeoutMs: MESSAGE_DELIVERY_TIMEOUT_MS + 2 * MESSAGE_HOP_MARGIN_MS },
    );
    const status = Number.isInteger(answer.status) && answer.status >= 200 && answer.status < 700 ? answer.status : 500;
    return reply(status, answer.reason?.replace(/[^\x20-\x7e]/g, '?').slice(0, 100));
  }
}
