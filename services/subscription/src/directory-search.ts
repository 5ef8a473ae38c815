import type { SipReply, SipRequestCommand } from '@presence/bus';
import { buildDirectorySearchResult, buildSearchFault, CONTENT_TYPE, parseDirectorySearch, type SearchFaultCode } from '@presence/documents';
import { searchDirectory, type DirectoryPerson } from '@presence/presence';
import { header, PROFILE, reply, type UserDirectory, type UserEntry } from '@presence/runtime';
import { param, parseNameAddr, parseParams, parseUri } from '@presence/sip';
import type { SubscriptionConfig } from './config.js';

export interface DirectorySearchDeps {
  readonly config: SubscriptionConfig;
  readonly directory: UserDirectory | undefined;
  readonly domains: readonly string[];
}

/** The domain a SERVICE is addressed to when its To names a domain, not a user ([MS-PRES] §3.1.5.1). */
export function searchedDomain(cmd: SipRequestCommand): string | undefined {
  const to = parseNameAddr(header(cmd, 'To') ?? '');
  const uri = to.ok ? parseUri(to.value.uri) : undefined;
  return uri?.ok && uri.value.user === undefined ? uri.value.host.toLowerCase() : undefined;
}

const FAULT_STATUS: Readonly<Record<SearchFaultCode, number>> = {
  'Client.BadCall': 400,
  'Client.NotAuthorized.UserSearch': 403,
  'Server.Unavailable.Busy': 503,
  'Server.UnknownError': 500,
};

function fault(code: SearchFaultCode, text: string): SipReply {
  return reply(FAULT_STATUS[code], text.slice(0, 120), [{ name: 'Content-Type', value: CONTENT_TYPE.soap }], buildSearchFault(code, text));
}

/** What directory search may show of a user: the address and the profile attributes. */
function personOf(u: UserEntry): DirectoryPerson {
  const person: Record<string, string> = { uri: u.aor };
  for (const k of PROFILE) if (u[k] !== undefined) person[k] = u[k];
  return person as unknown as DirectoryPerson;
}

/**
 * Directory search ([MS-PRES] §3.1, §4.1, section 8): a SERVICE to the domain, answered from the
 * users this server knows (the user directory), each row a prefix that every result matches.
 * Failures carry the SOAP fault of §3.1.5.4. Searches come from the enterprise's own users:
 * one relayed from another network, or about a domain this server does not serve, is not authorized.
 */
export function handleDirectorySearch(d: DirectorySearchDeps, cmd: SipRequestCommand): SipReply {
  try {
    // §3.1.5.1: a search carries no Require header (420 names what is not supported, RFC 3261 §8.2.2.3).
    const required = cmd.headers.filter((h) => h.name.toLowerCase() === 'require').map((h) => h.value);
    if (required.length > 0) return reply(420, undefined, [{ name: 'Unsupported', value: required.join(', ') }]);
    const trust = header(cmd, 'ms-edge-proxy-message-trust');
    const network = trust ? param(parseParams(trust), 'ms-source-network')?.toLowerCase() : undefined;
    const domain = searchedDomain(cmd);
    if ((network !== undefined && network !== 'internal' && network !== 'sameenterprise') || !domain || !d.domains.map((x) => x.toLowerCase()).includes(domain)) {
      return fault('Client.NotAuthorized.UserSearch', 'Searching this directory is not allowed');
    }
    if (cmd.body.trim() === '') return fault('Client.BadCall', 'A directory search needs a body');
    const req = parseDirectorySearch(cmd.body);
    if (!req.ok) return fault('Client.BadCall', req.error.message);
    // No directory to read (a clustered process without PRESENCE_USERS_FILE): the directory is unreachable.
    if (!d.directory) return fault('Server.Unavailable.Busy', 'No user directory is configured');
    // The directory's enabled users of the domain, with their attributes only (never their secrets).
    const people = [...d.directory.entries()].filter((u) => u.aor.split('@')[1] === domain).map(personOf);
    const out = searchDirectory(people, req.value.rows, req.value.maxResults, d.config.DIRECTORY_SEARCH_MAX_RESULTS);
    return reply(200, undefined, [{ name: 'Content-Type', value: CONTENT_TYPE.soap }], buildDirectorySearchResult(out.rows, out.moreAvailable));
  } catch (e) {
    return fault('Server.UnknownError', (e as Error).message);
  }
}
