/** Least-squares slope of y over x (per unit of x); 0 with fewer than two points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export function formatChecks(checks: readonly Check[]): string {
  return checks.map((c) => `${c.passed ? 'PASS' : 'FAIL'}  ${c.name}\n      ${c.detail}`).join('\n');
}

/** Exactly-once tally of ids read back against the ids acknowledged. */
export function exactlyOnce(acknowledged: ReadonlySet<string>, seen: ReadonlyMap<string, number>): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const missing: string[] = [];
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  for (const id of acknowledged) {
    const n = seen.get(id) ?? 0;
    if (n === 0) missing.push(id);
    else if (n > 1) duplicated.push(id);
  }
  for (const [id, n] of seen) {
    if (!acknowledged.has(id)) unexpected.push(id);
    else if (n > 1 && !duplicated.includes(id)) duplicated.push(id);
  }
  return { missing, duplicated, unexpected };
}
