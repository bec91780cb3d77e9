import { hashSlot } from './slots';

describe('hashSlot', () => {
  it('is CRC16 (XMODEM) mod 16384', () => {
    // The check value of CRC16/XMODEM for "123456789" is 0x31C3.
    expect(hashSlot('123456789')).toBe(0x31c3);
    expect(hashSlot('')).toBe(0);
  });

  it('hashes only the hash tag when there is one', () => {
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    expect(hashSlot('{user1000}.followers')).toBe(hashSlot('{user1000}.following'));
    expect(hashSlot('foo{bar}{zap}')).toBe(hashSlot('bar'));
    expect(hashSlot('foo{{bar}}zap')).toBe(hashSlot('{bar'));
  });

  it('hashes the whole key when the first tag is empty or unclosed', () => {
    expect(hashSlot('foo{}{bar}')).not.toBe(hashSlot('bar'));
    expect(hashSlot('foo{bar')).not.toBe(hashSlot('bar'));
  });

  it('hashes UTF-8 bytes', () => {
    expect(hashSlot('{ü}a')).toBe(hashSlot('ü'));
    expect(hashSlot('ü')).not.toBe(hashSlot('u'));
  });
});
