import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/** Subscription lifetimes (RFC 6665 §4.2.1.1): Lync's defaults 1,200 / 28,800 / 43,200 s. */
export const subscriptionEnv = {
  SUBSCRIBE_MIN_EXPIRES: env.int({ default: 1200, min: 1, max: 86_400, doc: 'Shortest subscription accepted (shorter: 423 with Min-Expires).' }),
  SUBSCRIBE_DEFAULT_EXPIRES: env.int({ default: 28_800, min: 1, max: 604_800, doc: 'Subscription lifetime when the client names none.' }),
  SUBSCRIBE_MAX_EXPIRES: env.int({ default: 43_200, min: 1, max: 604_800, doc: 'Longest subscription granted.' }),
};

export type SubscriptionConfig = ConfigOf<typeof subscriptionEnv> & { readonly PRESENCE_SWEEP_MS: number };

export function loadSubscriptionConfig(source: NodeJS.ProcessEnv): SubscriptionConfig {
  return { ...loadConfig(subscriptionEnv, source), ...loadConfig({ PRESENCE_SWEEP_MS: env.int({ default: 1000, min: 50, max: 60_000, doc: '' }) }, source) };
}
