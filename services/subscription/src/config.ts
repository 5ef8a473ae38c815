import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/** Subscription lifetimes (RFC 6665 §4.2.1.1; Lync's defaults 1,200 / 28,800 / 43,200 s) and limits. */
export const subscriptionEnv = {
  SUBSCRIBE_MIN_EXPIRES: env.int({ default: 1200, min: 1, max: 86_400, doc: 'Shortest subscription accepted (shorter: 423 with Min-Expires).' }),
  SUBSCRIBE_DEFAULT_EXPIRES: env.int({ default: 28_800, min: 1, max: 604_800, doc: 'Subscription lifetime when the client names none.' }),
  SUBSCRIBE_MAX_EXPIRES: env.int({ default: 43_200, min: 1, max: 604_800, doc: 'Longest subscription granted.' }),
  MAX_CONTACTS_PER_DIALOG: env.int({ default: 1000, min: 1, max: 100_000, doc: 'Most publishers one category dialog may watch (413 beyond).' }),
  MAX_CATEGORY_SUBSCRIPTIONS_PER_USER: env.int({ default: 3000, min: 1, max: 1_000_000, doc: 'Most publishers one user may watch over all their category dialogs (413 beyond).' }),
  MAX_CONTACTS: env.int({ default: 250, min: 1, max: 100_000, doc: 'Most contacts in one user\'s contact list (Lync\'s default 250); setContact beyond gets 403.' }),
  PROVISIONING_FILE: env.optionalString({ doc: 'JSON file of provisioning groups and their properties ({"ServerConfiguration": {"name": "value"}, "ucPolicy": {…}}) sent to vnd-microsoft-provisioning-v2 subscribers; unset: the groups with no properties.' }),
  DIRECTORY_SEARCH_MAX_RESULTS: env.int({ default: 100, min: 1, max: 10_000, doc: 'Most rows one directory search answers ([MS-PRES] §3.1.5.2: the lower of this and the client\'s maxResults; moreAvailable beyond).' }),
  MAX_WATCHERS_PER_PUBLISHER: env.int({ default: 10_000, min: 1, max: 10_000_000, doc: 'Most dialogs that may watch one publisher; more are refused with quotaExceeded/413 in the rlmi list.' }),
};

const shared = {
  PRESENCE_SWEEP_MS: env.int({ default: 1000, min: 50, max: 60_000, doc: '' }),
};

export type SubscriptionConfig = ConfigOf<typeof subscriptionEnv> & ConfigOf<typeof shared>;

export function loadSubscriptionConfig(source: NodeJS.ProcessEnv): SubscriptionConfig {
  return { ...loadConfig(subscriptionEnv, source), ...loadConfig(shared, source) };
}
