import { DEFAULT_POLICY, REGISTERED_CATEGORIES, type PublicationPolicy } from '@presence/presence';
import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/** The publication service's settings ([MS-PRES] §3.2.5.4 limits, §3.2.6 timers). */
export const publicationEnv = {
  PUBLICATION_MAX_BYTES: env.int({ default: 65_536, min: 256, max: 16_777_216, doc: 'Largest data of one publication (413 beyond).' }),
  CATEGORY_MAX_BYTES: env.int({ default: 524_288, min: 1024, max: 67_108_864, doc: 'Largest total data of one category across all containers (413 beyond).' }),
  PRESENCE_CATEGORIES: env.list({
    default: REGISTERED_CATEGORIES,
    doc: 'Category names clients may publish (403 for others), comma separated; `*` accepts any name.',
  }),
  CONTAINER_MEMBER_QUOTA: env.int({ default: 1000, min: 1, max: 1_000_000, doc: 'Most container members one user may have in all (413 beyond).' }),
  SERVER_PUBLICATION_INTERVAL_S: env.int({ default: 3600, min: 10, max: 604_800, doc: 'How often the server republishes contactCard, userProperties and legacyInterop (only when changed).' }),
  PRESENCE_SWEEP_MS: env.int({ default: 1000, min: 50, max: 60_000, doc: 'How often expired publications, subscriptions and pending announcements are swept.' }),
};

export type PublicationConfig = ConfigOf<typeof publicationEnv>;

export function policyOf(c: PublicationConfig): PublicationPolicy {
  return {
    ...DEFAULT_POLICY,
    maxPublicationBytes: c.PUBLICATION_MAX_BYTES,
    maxCategoryBytes: c.CATEGORY_MAX_BYTES,
    maxContainerMembers: c.CONTAINER_MEMBER_QUOTA,
    ...(c.PRESENCE_CATEGORIES.includes('*') ? { registeredCategories: undefined } : { registeredCategories: new Set(c.PRESENCE_CATEGORIES) }),
  };
}

export function loadPublicationConfig(source: NodeJS.ProcessEnv): PublicationConfig {
  return loadConfig(publicationEnv, source);
}
