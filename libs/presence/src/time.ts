/**
 * publishTime as the examples write it: UTC `YYYY-MM-DDTHH:mm:ss.fff`, no zone suffix
 * ([MS-PRES] §4.2.1). It must keep increasing per instance (§1.3.1.6.4: clients order a re-created
 * instance by it), so a clock that steps back yields the previous time plus one millisecond.
 */
export function publishTime(now: Date, previous?: string): string {
  let t = now.getTime();
  if (previous !== undefined) {
    const prev = Date.parse(`${previous}Z`);
    if (!Number.isNaN(prev) && prev >= t) t = prev + 1;
  }
  return new Date(t).toISOString().replace(/Z$/, '');
}

/** Whole seconds left until `expiresAt` (now when unknown), never negative: `subscription-state: active;expires=` (RFC 6665 §4.1.3). */
export function secondsLeft(now: number, expiresAt: number | undefined): number {
  return Math.max(0, Math.round(((expiresAt ?? now) - now) / 1000));
}
