import { moveUser, setContactList, sipRequestCommands, type SipReply, type SipRequestCommand } from '@presence/bus';
import { meterOf } from '@presence/telemetry';
import { header, reply, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { loadSubscriptionConfig } from './config.js';
import { handleCategorySubscribe, type CategoryDeps } from './category.js';
import { handleDirectorySearch, searchedDomain } from './directory-search.js';
import { handleContactService, replaceContactList, ROAMING_CONTACTS, roamingContacts } from './contacts.js';
import { handleOwnSubscribe } from './own-subscription.js';
import { loadProvisioning, PROVISIONING, provisioningPackage } from './provisioning.js';
import { startSelfLifecycle } from './lifecycle.js';
import { moveUserTo } from './move.js';
import { handleSelfSubscribe, ROAMING_SELF, type SelfDeps } from './self.js';
import { sweepSignOuts } from './signout.js';
import { withContact } from './subscribe-contact.js';

export { subscriptionEnv } from './config.js';

/** Event packages with a label value of their own; others count as `other` (labels stay bounded). */
const KINDS = new Set(['presence', ROAMING_SELF, ROAMING_CONTACTS, PROVISIONING]);

function eventOf(cmd: SipRequestCommand): string {
  return (header(cmd, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The subscription service: self subscriptions (roaming-self, [MS-PRES] §3.3), category
 * subscriptions (§3.4) with their notification fan-out, the contact list (roaming-contacts and its
 * SOAP SERVICE, [MS-SIP] §3.7) and provisioning.
 */
export async function startSubscription(deps: ServiceDeps): Promise<RunningService> {
  const config = loadSubscriptionConfig(deps.env);
  const d: SelfDeps & CategoryDeps = {
    store: deps.store,
    bus: deps.bus,
    logger: deps.logger,
    pool: deps.pool,
    config,
    directory: deps.directory,
    pools: deps.pools,
    domains: deps.domains,
  };
  const provisioning = provisioningPackage(loadProvisioning(config.PROVISIONING_FILE));
  const subscribe = (cmd: SipRequestCommand): Promise<SipReply> => {
    const event = eventOf(cmd);
    if (event === ROAMING_SELF) return handleSelfSubscribe(d, cmd);
    if (event === 'presence') return handleCategorySubscribe(d, cmd);
    if (event === ROAMING_CONTACTS) return handleOwnSubscribe(d, cmd, roamingContacts);
    if (event === PROVISIONING) return handleOwnSubscribe(d, cmd, provisioning);
    return Promise.resolve(reply(489));
  };
  // `presence_subscriptions_total{kind,status_code,pool}`: SUBSCRIBEs answered, by event package (the dialog kind).
  const subscriptions = meterOf('@presence/subscription').createCounter('presence.subscriptions', {
    unit: '{request}',
    description: 'SUBSCRIBE requests answered by the subscription service, by event package, status and pool.',
  });
  const counted = (cmd: SipRequestCommand, r: SipReply): SipReply => {
    const kind = eventOf(cmd);
    subscriptions.add(1, { kind: KINDS.has(kind) ? kind : 'other', status_code: String(r.status), pool: deps.pool });
    return r;
  };
  const ping = await servePing('subscription', deps);
  const sip = await deps.bus.handle(sipRequestCommands.subscription, deps.pool, (cmd) => {
    // A SERVICE to the domain is a directory search ([MS-PRES] §3.1.5.1); to the user, contact management.
    if (cmd.method === 'SERVICE') return searchedDomain(cmd) !== undefined ? handleDirectorySearch(d, cmd) : handleContactService(d, cmd);
    if (cmd.method !== 'SUBSCRIBE') return reply(405);
    return subscribe(cmd).then((r) => counted(cmd, withContact(r, deps.pools.gruu(deps.pool))));
  });
  const lifecycle = await startSelfLifecycle(d, deps.bus);
  const signOuts = sweepSignOuts(d, config.PRESENCE_SWEEP_MS * 10);
  const move = await deps.bus.handle(moveUser, deps.pool, (req) => moveUserTo(d, req));
  const seed = await deps.bus.handle(setContactList, deps.pool, (req) => replaceContactList(d, req));
  return {
    stop: async () => {
      await seed.stop();
      await move.stop();
      signOuts.stop();
      await lifecycle.stop();
      await sip.stop();
      await ping.stop();
    },
  };
}

export const subscription: ServiceModule = { name: 'subscription', start: startSubscription };
