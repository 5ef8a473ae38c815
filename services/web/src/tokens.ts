import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a token says: whose, which session, which kind, until when (seconds since the epoch). */
export interface TokenClaims {
  readonly sub: string;
  readonly sid: string;
  readonly typ: 'access' | 'refresh';
  readonly exp: number;
  /** Refresh tokens: the rotation nonce the session record must still hold. */
  readonly n?: string;
}

/**
 * Compact HMAC-SHA256 tokens: `base64url(json).base64url(mac)`. Every web instance shares the
 * secret, so any instance checks a token another issued; nothing about them is kept in memory.
 */
export class TokenSigner {
  constructor(private readonly secret: string) {}

  sign(c: TokenClaims): string {
    const body = Buffer.from(JSON.stringify(c)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The claims of a token this secret signed that has not expired, else undefined. */
  verify(token: string, typ: TokenClaims['typ'], nowS = Date.now() / 1000): TokenClaims | undefined {
    if (token.length > 4096) return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.mac(body), 'base64url');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
    let c: unknown;
    try {
      c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const claims = c as Partial<TokenClaims>;
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || claims.typ !== typ || typeof claims.exp !== 'number') return undefined;
    return claims.exp > nowS ? (claims as TokenClaims) : undefined;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}

export const newId = (bytes = 12): string => randomBytes(bytes).toString('base64url');
