import { allUserKeys, erasedUsersKey, hashedUserId, itemKeys, keyPart, offsetsKey, skuStoreKeys, userKeys } from './keys';
import { hashSlot } from './slots';

describe('key layout', () => {
  it('names user keys under one hash tag', () => {
    expect(allUserKeys(userKeys('default', 'user-1001'))).toEqual([
      'default:{u:user-1001}',
      'default:{u:user-1001}:w',
      'default:{u:user-1001}:aff',
      'default:{u:user-1001}:recent',
      'default:{u:user-1001}:sess',
      'default:{u:user-1001}:sessv',
      'default:{u:user-1001}:served',
    ]);
  });

  it('keeps SKU x store keys under the item tag', () => {
    expect(itemKeys('acme', 'SKU-1')).toEqual({
      main: 'acme:{i:SKU-1}',
      coViewed: 'acme:{i:SKU-1}:cv',
      coPurchased: 'acme:{i:SKU-1}:cp',
      availability: 'acme:{i:SKU-1}:avail',
    });
    expect(skuStoreKeys('acme', 'SKU-1', 'store-7')).toEqual({ stock: 'acme:{i:SKU-1}:st:store-7', movements: 'acme:{i:SKU-1}:mv:store-7' });
  });

  it('escapes braces and percent signs so ids cannot break the tag or collide', () => {
    expect(keyPart('a{b}c%')).toBe('a%7Bb%7Dc%25');
    expect(keyPart('a%7Bb')).not.toBe(keyPart('a{b'));
    const awkward = userKeys('default', 'x}:w');
    expect(awkward.main).toBe('default:{u:x%7D:w}');
    expect(allUserKeys(awkward)).not.toContain(userKeys('default', 'x').windows);
  });

  it.each(['user-1', 'a{b}', '}{', '%', 'ü-ß', 'with:colons:and spaces'])('puts every key of entity %p on one slot', (id) => {
    const slotsOf = (keys: string[]) => new Set(keys.map(hashSlot));
    expect(slotsOf(allUserKeys(userKeys('default', id))).size).toBe(1);
    const item = itemKeys('default', id);
    const store = skuStoreKeys('default', id, '{store}');
    expect(slotsOf([...Object.values(item), store.stock, store.movements]).size).toBe(1);
  });

  it('names offsets by namespace and topic, and the erased set by tenant', () => {
    expect(offsetsKey('storeloop-features', 'retail.events.v1')).toBe('{o:storeloop-features:retail.events.v1}');
    expect(erasedUsersKey('default')).toBe('default:{erased-users}');
  });

  it('hashes erased ids with sha256', () => {
    expect(hashedUserId('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
