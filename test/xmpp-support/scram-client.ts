import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** The client side of SCRAM (RFC 5802 §3), written for the tests from the RFC's formulas. */
export class ScramClient {
  private readonly nonce = randomBytes(12).toString('base64url');
  private bare = '';
  private serverSignature = Buffer.alloc(0);

  constructor(
    private readonly hash: 'sha1' | 'sha256',
    private readonly user: string,
    private readonly password: string,
  ) {}

  first(): string {
    this.bare = `n=${this.user},r=${this.nonce}`;
    return `n,,${this.bare}`;
  }

  final(serverFirst: string): string {
    const a = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
    if (!a.r!.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    const salted = pbkdf2Sync(this.password, Buffer.from(a.s!, 'base64'), Number(a.i), this.hash === 'sha1' ? 20 : 32, this.hash);
    const hmac = (k: Buffer, d: string) => createHmac(this.hash, k).update(d).digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${a.r}`;
    const auth = `${this.bare},${serverFirst},${withoutProof}`;
    const sig = hmac(storedKey, auth);
    this.serverSignature = hmac(hmac(salted, 'Server Key'), auth);
    return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64')}`;
  }

  /** Checks the server's `v=` (mutual authentication). */
  verify(serverFinal: string): boolean {
    return serverFinal === `v=${this.serverSignature.toString('base64')}`;
  }
}
