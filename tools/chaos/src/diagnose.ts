import { AssignerProtocol, type Admin } from 'kafkajs';

/** One partition a group has not committed to its end. */
export interface LaggingPartition {
  topic: string;
  partition: number;
  /** -1 where the group has committed nothing: it then starts at `low`. */
  committed: number;
  low: number;
  high: number;
}

/** The partitions of `topics` whose committed offset is below the high watermark. */
export async function laggingPartitions(admin: Admin, groupId: string, topics: readonly string[]): Promise<LaggingPartition[]> {
  const lagging: LaggingPartition[] = [];
  for (const topic of topics) {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const at = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
    for (const { partition, high, low } of ends) {
      const offset = at.get(partition) ?? -1;
      const from = offset >= 0 ? offset : Number(low);
      if (Number(high) > from) lagging.push({ topic, partition, committed: offset, low: Number(low), high: Number(high) });
    }
  }
  return lagging;
}

/** The group's state and, per member, its client host and the partitions it holds. */
export async function groupMembers(admin: Admin, groupId: string): Promise<{ state: string; members: { member: string; partitions: string[] }[] }> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  return {
    state: group?.state ?? 'unknown',
    members: (group?.members ?? []).map((m) => {
      const assignment = m.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      const partitions = Object.entries(assignment?.assignment ?? {}).flatMap(([topic, ps]) => ps.map((p) => `${topic}/${p}`));
      return { member: `${m.clientId}@${m.clientHost}`, partitions };
    }),
  };
}

/**
 * The warnings and errors of a service's pino output (JSON lines), newest
 * last, each distinct message once with how often it came and when last: enough to see
 * why a consumer stopped without the whole log.
 */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function logDigest(output: string, limit = 8): string[] {
  const seen = new Map<string, { count: number; last: number; at: string }>();
  const lines = output.split('\n');
  lines.forEach((line, index) => {
    if (!line.startsWith('{')) return;
    let entry: { level?: number | string; time?: number | string; msg?: string; err?: { type?: string; message?: string }; error?: string; code?: string; topic?: string; partition?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    // The services log level labels; plain pino logs numbers.
    const level = typeof entry.level === 'string' ? (LEVELS[entry.level] ?? 0) : (entry.level ?? 0);
    if (level < 40) return;
    const where = entry.topic === undefined ? '' : ` [${entry.topic}/${entry.partition ?? '?'}]`;
    const cause = entry.err ? `: ${entry.err.type ?? 'Error'} ${entry.err.message ?? ''}`.trimEnd() : entry.error ? `: ${entry.error}` : entry.code ? `: ${entry.code}` : '';
    const text = `${level >= 50 ? 'error' : 'warn'} ${entry.msg ?? ''}${where}${cause}`.slice(0, 240);
    const known = seen.get(text);
    const time = entry.time === undefined ? undefined : new Date(entry.time);
    const at = time && !Number.isNaN(time.getTime()) ? time.toISOString().slice(11, 19) : '';
    seen.set(text, { count: (known?.count ?? 0) + 1, last: index, at });
  });
  return [...seen.entries()]
    .sort((a, b) => a[1].last - b[1].last)
    .slice(-limit)
    .map(([text, { count, at }]) => `${at ? `${at} ` : ''}${count > 1 ? `${count}× ` : ''}${text}`);
}
