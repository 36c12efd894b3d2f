import type { RetryPolicy } from '#libs/workflow';

/**
 * How long to wait before the next attempt after `failedAttempts` failures, or undefined
 * when the policy's attempts are spent (`attempts` counts the first one). Both backoffs use
 * "equal jitter": half the delay is fixed and half random, so retries of many runs spread
 * out but never collapse to 0. A receiver's Retry-After replaces the computed delay, up to
 * the policy's maxDelay, so one odd header cannot park a run for days.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number, retryAfterMs?: number): number | undefined {
  if (failedAttempts >= policy.attempts) return undefined;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    return Math.round(Math.min(policy.maxDelayMs, Math.max(0, retryAfterMs)));
  }
  const exponent = Math.max(0, failedAttempts - 1);
  // 0 * 2 ** 1100 is NaN: a zero delay stays zero however many attempts have failed.
  const grown = policy.backoff === 'fixed' || policy.delayMs === 0 ? policy.delayMs : policy.delayMs * 2 ** exponent;
  const capped = Math.min(grown, policy.maxDelayMs);
  return Math.round(capped / 2 + random() * (capped / 2));
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** The three forms RFC 9110 §5.6.7 accepts: IMF-fixdate, RFC 850 and asctime. */
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT|${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`,
);

/**
 * `Retry-After` as seconds or an HTTP date, in ms from now; undefined when absent or
 * unreadable. Date.parse alone is far too lenient ("1.5" and "foo 12" are dates to it).
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) {
    const ms = Number(trimmed) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  if (!HTTP_DATE.test(trimmed)) return undefined;
  // asctime dates carry no zone; HTTP says they are GMT, while Date.parse would read local time.
  const date = Date.parse(/GMT$/.test(trimmed) ? trimmed : `${trimmed} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Statuses worth another attempt: the receiver may answer differently later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}
