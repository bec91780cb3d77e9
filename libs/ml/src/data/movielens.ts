/**
 * Reader for RecBole atomic `.inter` files (MovieLens-100K as shipped by
 * RecBole, and any other dataset in that format): a tab-separated header of
 * `name:type` fields, e.g. `user_id:token item_id:token rating:float
 * timestamp:float`, then one interaction per line. `user_id` and `item_id`
 * are required; `rating` and `timestamp` are optional (NaN when absent).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MlInputError } from '../errors';

/** One user-item interaction (an implicit-feedback event; rating kept for reference). */
export interface Interaction {
  readonly userId: string;
  readonly itemId: string;
  readonly rating: number;
  readonly timestamp: number;
}

export interface InterFile {
  interactions: Interaction[];
  /** The header's field names without types, in file order. */
  fields: string[];
  users: number;
  items: number;
}

/** Parses the text of a RecBole `.inter` file. Throws with the line number on malformed input. */
export function parseInterFile(text: string, source = '.inter'): InterFile {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.split('\t').map((f) => f.trim()) ?? [];
  const fields = header.map((f) => f.split(':')[0]);
  const column = (name: string) => fields.indexOf(name);
  const userCol = column('user_id');
  const itemCol = column('item_id');
  if (userCol < 0 || itemCol < 0) {
    throw new MlInputError(
      `${source}: header must name user_id and item_id (RecBole atomic format 'user_id:token\\titem_id:token[\\trating:float\\ttimestamp:float]'), got '${lines[0] ?? ''}'`,
    );
  }
  const ratingCol = column('rating');
  const timeCol = column('timestamp');
  const interactions: Interaction[] = [];
  const users = new Set<string>();
  const items = new Set<string>();
  for (let i = 1; i < lines.length; i += 1) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const cells = line.split('\t');
    if (cells.length < header.length) {
      throw new MlInputError(`${source}:${i + 1}: expected ${header.length} tab-separated fields, got ${cells.length}`);
    }
    const userId = cells[userCol].trim();
    const itemId = cells[itemCol].trim();
    if (!userId || !itemId) throw new MlInputError(`${source}:${i + 1}: empty user_id or item_id`);
    const rating = ratingCol < 0 ? Number.NaN : Number(cells[ratingCol]);
    const timestamp = timeCol < 0 ? Number.NaN : Number(cells[timeCol]);
    if (ratingCol >= 0 && !Number.isFinite(rating)) throw new MlInputError(`${source}:${i + 1}: rating '${cells[ratingCol]}' is not a number`);
    if (timeCol >= 0 && !Number.isFinite(timestamp)) throw new MlInputError(`${source}:${i + 1}: timestamp '${cells[timeCol]}' is not a number`);
    users.add(userId);
    items.add(itemId);
    interactions.push({ userId, itemId, rating, timestamp });
  }
  if (interactions.length === 0) throw new MlInputError(`${source}: no interactions`);
  return { interactions, fields, users: users.size, items: items.size };
}

/** Reads and parses a `.inter` file; also returns its SHA-256, for result files. */
export function loadInterFile(path: string): InterFile & { path: string; sha256: string } {
  const bytes = readFileSync(path);
  return { ...parseInterFile(bytes.toString('utf8'), path), path, sha256: createHash('sha256').update(bytes).digest('hex') };
}
