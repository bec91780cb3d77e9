import { MlInputError } from '../errors';
import { parseInterFile } from './movielens';

describe('parseInterFile', () => {
  it('reads the RecBole header by name, in any column order', () => {
    const file = parseInterFile('item_id:token\tuser_id:token\ttimestamp:float\trating:float\n10\t1\t881250949\t3\n11\t1\t881250950\t5\n10\t2\t1\t1\n');
    expect(file.fields).toEqual(['item_id', 'user_id', 'timestamp', 'rating']);
    expect(file.interactions[0]).toEqual({ userId: '1', itemId: '10', rating: 3, timestamp: 881250949 });
    expect(file.users).toBe(2);
    expect(file.items).toBe(2);
  });

  it('accepts files without rating or timestamp', () => {
    const file = parseInterFile('user_id:token\titem_id:token\na\tx\n');
    expect(Number.isNaN(file.interactions[0].rating)).toBe(true);
  });

  it('names the line of a malformed row and rejects a header without ids', () => {
    expect(() => parseInterFile('user_id:token\titem_id:token\trating:float\n1\t2\tbad\n', 'f.inter')).toThrow('f.inter:2: rating');
    expect(() => parseInterFile('uid\tiid\n1\t2\n')).toThrow(MlInputError);
  });
});
