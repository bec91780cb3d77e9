/** Top-k selection over a dense score vector without sorting all of it. */

export interface ScoredItem {
  itemId: string;
  score: number;
}

/**
 * Indices of the k largest finite scores, best first; ties go to the lower
 * index (stable, so results are reproducible). Entries set to -Infinity are
 * never returned. O(n log k) with a small binary heap.
 */
export function topKIndices(scores: ArrayLike<number>, k: number): number[] {
  if (k <= 0) return [];
  // min-heap of [score, index]; the root is the worst kept entry
  const heapScore: number[] = [];
  const heapIndex: number[] = [];
  const worse = (a: number, b: number) =>
    heapScore[a] < heapScore[b] || (heapScore[a] === heapScore[b] && heapIndex[a] > heapIndex[b]);
  const swap = (a: number, b: number) => {
    [heapScore[a], heapScore[b]] = [heapScore[b], heapScore[a]];
    [heapIndex[a], heapIndex[b]] = [heapIndex[b], heapIndex[a]];
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heapScore.length && worse(l, m)) m = l;
      if (r < heapScore.length && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = 0; i < scores.length; i += 1) {
    const s = scores[i];
    if (!(s > Number.NEGATIVE_INFINITY) || Number.isNaN(s)) continue;
    if (heapScore.length < k) {
      heapScore.push(s);
      heapIndex.push(i);
      for (let c = heapScore.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        swap(c, p);
        c = p;
      }
    } else if (s > heapScore[0]) {
      heapScore[0] = s;
      heapIndex[0] = i;
      siftDown(0);
    }
  }
  const order = heapIndex.map((index, j) => ({ index, score: heapScore[j] }));
  order.sort((a, b) => b.score - a.score || a.index - b.index);
  return order.map((o) => o.index);
}
