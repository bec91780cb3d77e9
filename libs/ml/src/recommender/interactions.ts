/**
 * Implicit-feedback interactions as a binary user x item matrix in CSR form
 * (each user's distinct items, sorted), with the id <-> index maps the
 * models and artifacts share. Repeated (user, item) pairs count once.
 */
import { MlInputError } from '../errors';

export interface UserItem {
  readonly userId: string;
  readonly itemId: string;
}

export interface ImplicitMatrix {
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly itemIndex: ReadonlyMap<string, number>;
  readonly userIndex: ReadonlyMap<string, number>;
  /** Row u's items are indices[indptr[u] .. indptr[u + 1]). */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  /** Distinct (user, item) pairs: the number of non-zeros. */
  readonly nnz: number;
}

/**
 * Builds the matrix. `itemIds` fixes the item order (for example a catalogue
 * that also holds items nobody interacted with yet); interactions with items
 * outside it throw. By default items are taken in first-seen order.
 */
export function buildImplicitMatrix(interactions: readonly UserItem[], itemIds?: readonly string[]): ImplicitMatrix {
  const itemIndex = new Map<string, number>();
  const items: string[] = [];
  if (itemIds) {
    for (const id of itemIds) {
      if (itemIndex.has(id)) throw new MlInputError(`itemIds repeats '${id}'`);
      itemIndex.set(id, items.length);
      items.push(id);
    }
  }
  const userIndex = new Map<string, number>();
  const users: string[] = [];
  const rows: Set<number>[] = [];
  for (const { userId, itemId } of interactions) {
    let i = itemIndex.get(itemId);
    if (i === undefined) {
      if (itemIds) throw new MlInputError(`item '${itemId}' is not in the given itemIds`);
      i = items.length;
      itemIndex.set(itemId, i);
      items.push(itemId);
    }
    let u = userIndex.get(userId);
    if (u === undefined) {
      u = users.length;
      userIndex.set(userId, u);
      users.push(userId);
      rows.push(new Set());
    }
    rows[u].add(i);
  }
  const indptr = new Int32Array(users.length + 1);
  rows.forEach((row, u) => (indptr[u + 1] = indptr[u] + row.size));
  const indices = new Int32Array(indptr[users.length]);
  rows.forEach((row, u) => indices.set(Int32Array.from(row).sort(), indptr[u]));
  return { userIds: users, itemIds: items, itemIndex, userIndex, indptr, indices, nnz: indices.length };
}

/** Interactions per item (popularity). */
export function itemCounts(matrix: ImplicitMatrix): Float64Array {
  const counts = new Float64Array(matrix.itemIds.length);
  for (const i of matrix.indices) counts[i] += 1;
  return counts;
}
