/**
 * MovieLens 100K in RecBole's atomic format: tab-separated, with a typed
 * header line (`user_id:token\titem_id:token\t...`).
 */
import { dataFile } from './data-dir';
import { forEachDataLine, malformed, parseDecimal, parseInteger, requireFieldCount, requireToken } from './lines';

export interface MovieLensRating {
  userId: string;
  itemId: string;
  /** 1..5 stars. */
  rating: number;
  /** Unix seconds. */
  timestamp: number;
}

export interface MovieLensItem {
  id: string;
  /** Title without the year (RecBole moved it to its own column). */
  title: string;
  /** Release year; null where the file has none (item 267 'unkonwn', item 1412 'V'). */
  year: number | null;
  /** Genre names as in the file, e.g. "Children's", "Sci-Fi", "unknown". */
  genres: string[];
}

export interface MovieLensUser {
  id: string;
  age: number;
  gender: 'M' | 'F';
  occupation: string;
  /** A US ZIP code, or a Canadian postal code such as 'E2A4H'; kept as text. */
  zip: string;
}

const splitTabs = (line: string): string[] => line.split('\t');

/** All ratings of `movielens-100k/ml-100k.inter`, in file order. */
export async function loadMovieLensInteractions(dir?: string): Promise<MovieLensRating[]> {
  const file = dataFile('movielens-100k', 'ml-100k.inter', dir);
  const ratings: MovieLensRating[] = [];
  await forEachDataLine(
    file,
    splitTabs,
    ['user_id:token', 'item_id:token', 'rating:float', 'timestamp:float'],
    (fields, lineNumber) => {
      requireFieldCount(fields, 4, file, lineNumber);
      ratings.push({
        userId: requireToken(fields[0], 'user_id', file, lineNumber),
        itemId: requireToken(fields[1], 'item_id', file, lineNumber),
        rating: parseDecimal(fields[2], 'rating', file, lineNumber),
        timestamp: parseInteger(fields[3], 'timestamp', file, lineNumber),
      });
    },
  );
  return ratings;
}

/** All movies of `movielens-100k/ml-100k.item`, in file order. */
export async function loadMovieLensItems(dir?: string): Promise<MovieLensItem[]> {
  const file = dataFile('movielens-100k', 'ml-100k.item', dir);
  const items: MovieLensItem[] = [];
  await forEachDataLine(
    file,
    splitTabs,
    ['item_id:token', 'movie_title:token_seq', 'release_year:token', 'class:token_seq'],
    (fields, lineNumber) => {
      requireFieldCount(fields, 4, file, lineNumber);
      items.push({
        id: requireToken(fields[0], 'item_id', file, lineNumber),
        title: requireToken(fields[1], 'movie_title', file, lineNumber),
        year: /^\d{4}$/.test(fields[2]) ? Number(fields[2]) : null,
        genres: fields[3].split(' ').filter((genre) => genre.length > 0),
      });
    },
  );
  return items;
}

/** All users of `movielens-100k/ml-100k.user`, in file order. */
export async function loadMovieLensUsers(dir?: string): Promise<MovieLensUser[]> {
  const file = dataFile('movielens-100k', 'ml-100k.user', dir);
  const users: MovieLensUser[] = [];
  await forEachDataLine(
    file,
    splitTabs,
    ['user_id:token', 'age:token', 'gender:token', 'occupation:token', 'zip_code:token'],
    (fields, lineNumber) => {
      requireFieldCount(fields, 5, file, lineNumber);
      const gender = fields[2];
      if (gender !== 'M' && gender !== 'F') {
        throw malformed(file, lineNumber, `gender must be M or F, got '${gender}'`);
      }
      users.push({
        id: requireToken(fields[0], 'user_id', file, lineNumber),
        age: parseInteger(fields[1], 'age', file, lineNumber),
        gender,
        occupation: requireToken(fields[3], 'occupation', file, lineNumber),
        zip: requireToken(fields[4], 'zip_code', file, lineNumber),
      });
    },
  );
  return users;
}
