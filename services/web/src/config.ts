import { env, loadConfig, type ConfigOf } from '@presence/telemetry';

/** The web service's settings (README "Web service"). */
export const webEnv = {
  WEB_TOKEN_SECRET: env.optionalString({
    doc: 'Secret (at least 32 characters) that signs web access and refresh tokens; the same on every web instance. Unset in embedded mode: a development secret, with a warning.',
  }),
  WEB_ACCESS_TTL_S: env.int({ default: 300, min: 10, max: 86_400, doc: 'Lifetime of a web access token, seconds.' }),
  WEB_SESSION_TTL_S: env.int({ default: 28_800, min: 60, max: 2_592_000, doc: 'Lifetime of a web session (its refresh token and its endpoint), seconds; each refresh extends it.' }),
  WEB_ENDPOINT_TTL_S: env.int({ default: 600, min: 30, max: 86_400, doc: 'How long a web session’s endpoint stays registered (its presence shown) without a token refresh or an open stream; the session itself may live longer and registers again on use.' }),
  WEB_USER_REQUESTS_PER_S: env.int({ default: 20, min: 1, max: 100_000, doc: 'API requests one user may make per second on one web instance (after a burst of WEB_USER_BURST); more get 429.' }),
  WEB_USER_BURST: env.int({ default: 60, min: 1, max: 1_000_000, doc: 'Burst of API requests one user may make at once.' }),
  WEB_SIGNIN_MAX_FAILURES: env.int({ default: 10, min: 1, max: 10_000, doc: 'Failed sign-ins per user in 5 minutes before sign-in is refused with 429 (even with the right password).' }),
  WEB_MAX_SESSIONS_PER_USER: env.int({ default: 4, min: 1, max: 64, doc: 'Web sessions (signed-in browsers) one user may have; a new one past it signs out the oldest.' }),
  WEB_STREAM_CHECK_MS: env.int({ default: 15_000, min: 100, max: 600_000, doc: 'How often each open stream checks that its session still exists (it may end on another instance); a stream of an ended session is closed.' }),
  WEB_MAX_STREAMS_PER_USER: env.int({ default: 8, min: 1, max: 1000, doc: 'Live streams one user may hold open on one web instance.' }),
};

export type WebConfig = ConfigOf<typeof webEnv>;

export function loadWebConfig(source: NodeJS.ProcessEnv): WebConfig {
  return loadConfig(webEnv, source);
}
