import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { XmppStreamError } from './errors.js';
import type { XmlElement } from './xml.js';

export const NS_STREAM = 'http://etherx.jabber.org/streams';

/** What the parser hands on, in order. */
export interface StreamEvents {
  /** The `<stream:stream>` open tag (RFC 6120 §4.7) with its attributes and default namespace. */
  streamStart(attrs: Record<string, string>, contentNs: string): void;
  /** One complete first-level element: a stanza or a negotiation element (§4.1). */
  element(e: XmlElement): void;
  /** `</stream:stream>` (§4.4). */
  streamEnd(): void;
}

export interface StreamLimits {
  /** Largest first-level element, in characters of its XML (§13.12: the server SHOULD limit it). */
  readonly maxStanzaChars: number;
  /** Deepest nesting inside a stanza. */
  readonly maxDepth: number;
}

/** The root element: `<stream:stream>` for c2s; `<body>` of XEP-0124 for BOSH requests. */
export interface StreamRoot {
  readonly local: string;
  readonly ns: string;
}

const STREAM_ROOT: StreamRoot = { local: 'stream', ns: NS_STREAM };

interface Building {
  name: string;
  ns: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

/**
 * A streaming reader of one XML stream (RFC 6120 §4): bytes in, first-level elements out, never
 * the whole stream in memory. Built on saxes (namespace-aware, a pull of well-formedness errors);
 * restricted XML (§11.1: no DTD, comments, processing instructions or entity references beyond
 * the predefined five) ends the stream. A stream restart (after STARTTLS and SASL, §4.3.3) takes a
 * new parser.
 */
export class StreamParser {
  private readonly sax = new SaxesParser({ xmlns: true, position: true });
  private readonly decoder = new StringDecoder('utf8');
  private readonly stack: Building[] = [];
  private started = false;
  private stanzaStart = -1;
  private error: XmppStreamError | undefined;

  constructor(
    private readonly events: StreamEvents,
    private readonly limits: StreamLimits,
    private readonly root: StreamRoot = STREAM_ROOT,
  ) {
    const fail = (e: XmppStreamError) => {
      this.error ??= e;
    };
    this.sax.on('error', (e) => fail(new XmppStreamError(/undefined entity|entit/i.test(e.message) ? 'restricted-xml' : 'not-well-formed', e.message)));
    this.sax.on('doctype', () => fail(new XmppStreamError('restricted-xml', 'DOCTYPE and entity declarations are not allowed (RFC 6120 §11.1)')));
    this.sax.on('comment', () => fail(new XmppStreamError('restricted-xml', 'comments are not allowed (RFC 6120 §11.1)')));
    this.sax.on('processinginstruction', () => fail(new XmppStreamError('restricted-xml', 'processing instructions are not allowed (RFC 6120 §11.1)')));
    this.sax.on('opentag', (tag) => {
      if (this.error) return;
      this.open(tag as SaxesTagNS);
    });
    this.sax.on('closetag', () => {
      if (this.error) return;
      this.close();
    });
    const onText = (t: string) => {
      if (this.error || this.stack.length === 0) return; // whitespace keep-alives between stanzas (§4.6.1)
      this.stack[this.stack.length - 1]!.children.push(t);
    };
    this.sax.on('text', onText);
    this.sax.on('cdata', onText);
  }

  /** Feeds bytes; throws {@link XmppStreamError} once the stream is bad (the caller ends it). */
  write(chunk: Buffer): void {
    if (this.error) throw this.error;
    this.sax.write(this.decoder.write(chunk));
    this.tooLarge();
    if (this.error) throw this.error;
  }

  /** RFC 6120 §13.12: a stanza past the limit ends the stream (policy-violation), unhandled. */
  private tooLarge(): boolean {
    if (this.error || this.stanzaStart < 0 || this.sax.position - this.stanzaStart <= this.limits.maxStanzaChars) return false;
    this.error = new XmppStreamError('policy-violation', `stanza larger than ${this.limits.maxStanzaChars} characters`);
    return true;
  }

  private open(tag: SaxesTagNS): void {
    if (!this.started) {
      // §4.8.1: the stream element's namespace must be the streams namespace.
      if (tag.local !== this.root.local || tag.uri !== this.root.ns) {
        this.error = new XmppStreamError('invalid-namespace', `expected <${this.root.local} xmlns="${this.root.ns}">`);
        return;
      }
      this.started = true;
      const attrs: Record<string, string> = {};
      for (const a of Object.values(tag.attributes)) attrs[a.name] = a.value;
      this.events.streamStart(attrs, tag.ns[''] ?? '');
      return;
    }
    if (this.stack.length === 0) this.stanzaStart = this.sax.position;
    if (this.stack.length >= this.limits.maxDepth) {
      this.error = new XmppStreamError('policy-violation', `elements nested deeper than ${this.limits.maxDepth}`);
      return;
    }
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) if (a.prefix !== 'xmlns' && a.name !== 'xmlns') attrs[a.local] = a.value;
    this.stack.push({ name: tag.name, ns: tag.uri, attrs, children: [] });
  }

  private close(): void {
    const done = this.stack.pop();
    if (!done) {
      this.events.streamEnd();
      return;
    }
    const e: XmlElement = { name: done.name, ns: done.ns, attrs: done.attrs, children: done.children };
    if (this.stack.length > 0) {
      this.stack[this.stack.length - 1]!.children.push(e);
      return;
    }
    // The whole stanza may have come in one chunk: measure it before handing it on.
    if (this.tooLarge()) return;
    this.stanzaStart = -1;
    this.events.element(e);
  }
}
