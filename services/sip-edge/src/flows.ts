/** A client connection (TCP/TLS) or UDP source address: where requests came from and responses go. */
export interface Flow {
  readonly id: string;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** TCP/TLS: no SIP retransmissions (RFC 3261 §17). */
  readonly reliable: boolean;
  readonly remote: { readonly address: string; readonly port: number };
  readonly local: { readonly address: string; readonly port: number };
  send(bytes: Buffer): void;
  close(): void;
  /** Stops and restarts reading from a connection (back-pressure); absent on UDP. */
  pauseReading?(): void;
  resumeReading?(): void;
  /** The user this connection authenticated as, once it has. */
  user?: string;
  /** A request on it passed authentication (any mode): it is no longer held to the unauthenticated idle timeout. */
  signedIn?: boolean;
  /**
   * Marks the connection signed in: it leaves its address's count of connections (clients behind
   * one NAT address are bounded by their users' limits instead) and its idle timeout.
   */
  markSignedIn?(): void;
}

/** What the transports report to the edge. */
export interface FlowHandler {
  /** One complete message (a framed stream message or a datagram). */
  receive(flow: Flow, bytes: Buffer, datagram: boolean): void;
  /** A stream message whose body is over the limit; its body was skipped. */
  tooLarge(flow: Flow, head: Buffer): void;
  closed(flow: Flow): void;
}

/** A SIP listener. The only code that touches node:net / node:dgram / node:tls is behind this. */
export interface SipListener {
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly port: number;
  close(): Promise<void>;
  /** TLS only: new certificate and key for connections from now on (SIGHUP); open ones keep theirs. */
  setCertificate?(pem: { cert: string; key: string }): void;
}
