import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { SaslError } from './errors.js';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'SHA-1' | 'SHA-256';
const NODE_HASH: Record<ScramHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256' };
const LENGTH: Record<ScramHash, number> = { 'SHA-1': 20, 'SHA-256': 32 };

/** What a server keeps of a password for SCRAM (RFC 5802 §3): never the password itself. */
export interface ScramCredentials {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const hmac = (h: ScramHash, key: Buffer, data: string | Buffer) => createHmac(NODE_HASH[h], key).update(data).digest();
const hash = (h: ScramHash, data: Buffer) => createHash(NODE_HASH[h]).update(data).digest();

/** RFC 5802 §3: SaltedPassword = Hi(password, salt, i), ClientKey, StoredKey, ServerKey. */
export async function deriveScram(h: ScramHash, password: string, salt: Buffer = randomBytes(16), iterations = 4096): Promise<ScramCredentials> {
  const salted = await pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, LENGTH[h], NODE_HASH[h]);
  return { salt, iterations, storedKey: hash(h, hmac(h, salted, 'Client Key')), serverKey: hmac(h, salted, 'Server Key') };
}

/** RFC 5802 §5.1: `=2C` and `=3D` in a saslname; any other `=` is malformed. */
function saslName(s: string): string | undefined {
  if (/=(?!2C|3D)/.test(s)) return undefined;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** The attributes of one SCRAM message (`a=value,b=value`). */
function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    if (!/^[A-Za-z]=/.test(part)) continue;
    if (!out.has(part[0]!)) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** The client-first-message (RFC 5802 §7): GS2 header and bare part. Channel binding is refused (no -PLUS). */
export function readClientFirst(msg: string): { username: string; nonce: string; gs2Header: string; bare: string } {
  const m = /^([ny]|p=[^,]*),([^,]*),(.*)$/.exec(msg);
  if (!m) throw new SaslError('malformed-request', 'not a SCRAM client-first-message');
  if (m[1]!.startsWith('p=')) throw new SaslError('malformed-request', 'channel binding is not offered');
  const bare = m[3]!;
  const a = attributes(bare);
  const username = saslName(a.get('n') ?? '');
  const nonce = a.get('r') ?? '';
  if (bare.startsWith('m=') || !username || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) throw new SaslError('malformed-request', 'bad SCRAM username or nonce');
  return { username, nonce, gs2Header: `${m[1]},${m[2]},`, bare };
}

/**
 * One server side of a SCRAM exchange (RFC 5802 §5): `first` answers the client's first message,
 * `final` checks the proof and returns the server signature (`v=`). Unknown users get a made-up
 * salt and fail only at the proof, so the exchange does not tell who exists.
 */
export class ScramServer {
  private serverFirst = '';
  private clientFirstBare = '';
  private gs2Header = '';
  private nonce = '';

  constructor(
    private readonly h: ScramHash,
    private readonly creds: ScramCredentials | undefined,
    /** The server's part of the nonce; random unless a test gives the RFC's example value. */
    private readonly serverNonce: string = randomBytes(18).toString('base64url'),
  ) {}

  first(clientFirst: { nonce: string; gs2Header: string; bare: string }, fakeSalt: Buffer): string {
    this.clientFirstBare = clientFirst.bare;
    this.gs2Header = clientFirst.gs2Header;
    this.nonce = clientFirst.nonce + this.serverNonce;
    const salt = this.creds?.salt ?? fakeSalt;
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${this.creds?.iterations ?? 4096}`;
    return this.serverFirst;
  }

  final(clientFinal: string): string {
    const at = clientFinal.lastIndexOf(',p=');
    if (at < 0) throw new SaslError('malformed-request', 'no proof');
    const withoutProof = clientFinal.slice(0, at);
    const a = attributes(withoutProof);
    if (a.get('c') !== Buffer.from(this.gs2Header).toString('base64')) throw new SaslError('malformed-request', 'channel binding data does not match the GS2 header');
    if (a.get('r') !== this.nonce) throw new SaslError('malformed-request', 'nonce does not match');
    const proof = Buffer.from(clientFinal.slice(at + 3), 'base64');
    if (!this.creds || proof.length !== LENGTH[this.h]) throw new SaslError('not-authorized', 'bad credentials');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.h, this.creds.storedKey, authMessage);
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
    if (!timingSafeEqual(hash(this.h, clientKey), this.creds.storedKey)) throw new SaslError('not-authorized', 'bad credentials');
    return `v=${hmac(this.h, this.creds.serverKey, authMessage).toString('base64')}`;
  }
}
