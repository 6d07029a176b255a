// How long one Azure call may sleep on a throttling answer before it gives up.
//
// Azure answers throttling with 429 and a Retry-After; the SDK's default retry policy
// (core-rest-pipeline → @typespec/ts-http-runtime's throttlingRetryStrategy) sleeps exactly that long,
// up to three times, and its maxRetryDelayInMs does not cap it. ARM's token buckets ask for a second or
// two; Container Instances' own budget of creates and deletes (100 per 5 minutes, 300 per hour per
// region) asks for minutes: up to 300 s when the 5-minute window is spent (research-12 §2–3; 75 s seen
// in the wild). A run cannot wait minutes for its container group, so this policy, which sees every
// attempt before the retry policy does, strips the wait from a 429 or 503 that asks for more than the
// budget: the retry policy then hands a 429 back at once, as a RestError with its status and code,
// exactly as after its last retry (a 503 falls to the SDK's own exponential backoff, seconds at most).
// A shorter wait is left to the SDK.
import type { ContainerInstanceManagementClientOptionalParams } from '@azure/arm-containerinstance';

type AdditionalPolicy = NonNullable<ContainerInstanceManagementClientOptionalParams['additionalPolicies']>[number];

/** The headers the SDK's throttling strategy reads, in its order: two in milliseconds, then seconds or a date. */
const WAIT_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms', 'retry-after'] as const;

/** The wait a throttling answer asks for, in ms, read as the SDK reads it (NaN: it asks for none). */
export function requestedWaitMs(headers: { get(name: string): string | undefined }, now = Date.now()): number {
  for (const name of WAIT_HEADERS) {
    const raw = headers.get(name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return name === 'retry-after' ? n * 1000 : n;
    if (name === 'retry-after') {
      const date = Date.parse(raw);
      if (!Number.isNaN(date)) return Math.max(0, date - now);
    }
  }
  return NaN;
}

/** Where a stripped wait is kept, in ms (read it with requestedWaitOf). */
export const REQUESTED_WAIT_HEADER = 'x-sharpbox-requested-wait-ms';

/** The wait Azure asked for on a throttling error this policy handed back at once, or null. */
export function requestedWaitOf(err: unknown): number | null {
  const raw = (err as { response?: { headers?: { get(name: string): string | undefined } } }).response?.headers?.get(
    REQUESTED_WAIT_HEADER,
  );
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) ? n : null;
}

export function throttleBudgetPolicy(maxWaitMs: number): AdditionalPolicy {
  return {
    position: 'perRetry',
    policy: {
      name: 'sharpboxThrottleBudget',
      async sendRequest(request, next) {
        const response = await next(request);
        const wait = requestedWaitMs(response.headers);
        if ((response.status === 429 || response.status === 503) && wait > maxWaitMs) {
          for (const name of WAIT_HEADERS) response.headers.delete(name);
          // Kept under a name of our own, so the caller can tell the user when to try again.
          response.headers.set(REQUESTED_WAIT_HEADER, String(Math.round(wait)));
        }
        return response;
      },
    },
  };
}
