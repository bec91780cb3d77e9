import { isUserErased, NEVER_DAYS, userKeys, type RedisClient } from '@storeloop/feature-store';
import { segmentUsers, type Segmentation, type SegmentUserRow } from '@storeloop/ml';
import type { WindowedExample } from '../window/example-window';

/** Field of the user's main hash (feature-store key layout) that holds the segment; read back as `segmentId`. */
export const SEGMENT_FIELD = 'segment';

/** `<model version>/<segment index>`: the profile is `segments.json` of that version's artifact. */
export const segmentId = (version: string, segment: number) => `${version}/${segment}`;

/**
 * One row per (tenant, user): the RFM features of the user's newest example
 * in the window, i.e. the user as the feature store saw them most recently.
 */
export function segmentRows(window: readonly WindowedExample[]): { tenant: string; row: SegmentUserRow }[] {
  const newest = new Map<string, WindowedExample>();
  for (const example of window) {
    const key = `${example.tenant}\u0000${example.userId}`;
    const seen = newest.get(key);
    if (!seen || example.eventTimeMs >= seen.eventTimeMs) newest.set(key, example);
  }
  return [...newest.values()].map((example) => ({
    tenant: example.tenant,
    row: {
      userId: example.userId,
      recencyDays: Math.max(0, example.user['rfm.recencyDays'] ?? NEVER_DAYS),
      frequency: Math.max(0, example.user['rfm.frequency'] ?? 0),
      monetary: Math.max(0, example.user['rfm.monetary'] ?? 0),
    },
  }));
}

/** RFM + k-means segments (libs/ml) of the window's users; null when there are fewer users than segments. */
export function computeSegments(window: readonly WindowedExample[], k: number, seed: number): { segmentation: Segmentation; tenants: string[] } | null {
  const rows = segmentRows(window);
  if (k < 2 || rows.length < k * 2) return null;
  return { segmentation: segmentUsers(rows.map((r) => r.row), { k, seed }), tenants: rows.map((r) => r.tenant) };
}

// Writes only into an existing view: a hash created here would make an unknown user look known.
const SET_IF_VIEW_EXISTS = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end return 0`;

/**
 * Writes each user's segment into the `segment` field of their main hash.
 * Erased users are skipped (checked first; and the write only lands in a
 * hash that still exists, so an erasure racing with it wins either way).
 * Returns how many users were written.
 */
export async function writeSegments(
  redis: RedisClient,
  version: string,
  segmentation: Segmentation,
  tenants: readonly string[],
): Promise<number> {
  let written = 0;
  const CHUNK = 500;
  for (let start = 0; start < segmentation.assignments.length; start += CHUNK) {
    const slice = segmentation.assignments.slice(start, start + CHUNK);
    const results = await Promise.all(
      slice.map(async (assignment, i) => {
        const tenant = tenants[start + i];
        if (await isUserErased(redis, assignment.userId, { tenant })) return 0;
        return Number(await redis.eval(SET_IF_VIEW_EXISTS, 1, userKeys(tenant, assignment.userId).main, SEGMENT_FIELD, segmentId(version, assignment.segment)));
      }),
    );
    written += results.reduce((sum, n) => sum + n, 0);
  }
  return written;
}
