import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/**
 * The settings the federation service reads: the subscription service's (documented there, same
 * names, same meaning for PIDF/MSRTC/winfo dialogs), so one setting governs every subscriber.
 */
const federationEnv = {
  SUBSCRIBE_MIN_EXPIRES: env.int({ default: 1200, min: 1, max: 86_400, doc: '' }),
  SUBSCRIBE_DEFAULT_EXPIRES: env.int({ default: 28_800, min: 1, max: 604_800, doc: '' }),
  SUBSCRIBE_MAX_EXPIRES: env.int({ default: 43_200, min: 1, max: 604_800, doc: '' }),
  MAX_WATCHERS_PER_PUBLISHER: env.int({ default: 10_000, min: 1, max: 10_000_000, doc: '' }),
  MAX_CATEGORY_SUBSCRIPTIONS_PER_USER: env.int({ default: 3000, min: 1, max: 1_000_000, doc: '' }),
  PRESENCE_SWEEP_MS: env.int({ default: 1000, min: 50, max: 60_000, doc: '' }),
};

export type FederationConfig = ConfigOf<typeof federationEnv>;

export function loadFederationConfig(source: NodeJS.ProcessEnv): FederationConfig {
  return loadConfig(federationEnv, source);
}

/** RFC 3903 §4.1 PUBLISH lifetimes: one hour when none is asked for; shorter than a minute gets 423. */
export const PUBLISH_EXPIRES = { min: 60, default: 3600, max: 86_400 } as const;
