import type { WindowedExample } from '../window/example-window';
import { computeSegments, segmentId, segmentRows } from './consumer-segments';

const example = (userId: string, eventTimeMs: number, user: Record<string, number>, tenant = 'default'): WindowedExample => ({
  id: `${userId}-${eventTimeMs}`,
  tenant,
  userId,
  sku: 's',
  eventTimeMs,
  label: 1,
  user,
  item: {},
  arrivedAtMs: 0,
});

describe('consumer segments', () => {
  it("takes each user's newest RFM features, per tenant, and treats a never-ordered user as 'never'", () => {
    const rows = segmentRows([
      example('a', 1, { 'rfm.recencyDays': 30, 'rfm.frequency': 1, 'rfm.monetary': 10 }),
      example('a', 5, { 'rfm.recencyDays': 2, 'rfm.frequency': 3, 'rfm.monetary': 50 }),
      example('a', 3, { 'rfm.recencyDays': 9, 'rfm.frequency': 2, 'rfm.monetary': 20 }, 'acme'),
      example('b', 2, {}),
    ]);
    expect(rows).toEqual([
      { tenant: 'default', row: { userId: 'a', recencyDays: 2, frequency: 3, monetary: 50 } },
      { tenant: 'acme', row: { userId: 'a', recencyDays: 9, frequency: 2, monetary: 20 } },
      { tenant: 'default', row: { userId: 'b', recencyDays: 3650, frequency: 0, monetary: 0 } },
    ]);
  });

  it('separates frequent recent spenders from one-off lapsed buyers, and skips too few users', () => {
    const window = Array.from({ length: 40 }, (_, u) =>
      u % 2 === 0
        ? example(`loyal-${u}`, u, { 'rfm.recencyDays': 1 + (u % 3), 'rfm.frequency': 20 + (u % 4), 'rfm.monetary': 1000 + u })
        : example(`lapsed-${u}`, u, { 'rfm.recencyDays': 300 + u, 'rfm.frequency': 1, 'rfm.monetary': 15 }),
    );
    const result = computeSegments(window, 2, 1);
    const segmentOf = new Map(result?.segmentation.assignments.map((a) => [a.userId, a.segment]));
    expect(new Set(window.filter((e) => e.userId.startsWith('loyal')).map((e) => segmentOf.get(e.userId))).size).toBe(1);
    expect(segmentOf.get('loyal-0')).not.toBe(segmentOf.get('lapsed-1'));
    expect(computeSegments(window.slice(0, 3), 2, 1)).toBeNull();
    expect(segmentId('v1', 2)).toBe('v1/2');
  });
});
