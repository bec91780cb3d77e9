import { scorerColumns, scorerRow } from './scorer-artifact';

describe('scorer columns', () => {
  it('are the union of user and item feature names, prefixed and sorted, whatever the example order', () => {
    const a = { user: { rfm: 1, 'x.seen': 1 }, item: { price: 2 } };
    const b = { user: { count: 3 }, item: { price: 4, known: 1 } };
    expect(scorerColumns([a, b])).toEqual(['i.known', 'i.price', 'u.count', 'u.rfm', 'u.x.seen']);
    expect(scorerColumns([b, a])).toEqual(scorerColumns([a, b]));
  });

  it('build rows in the stored order, with 0 for a feature the caller lacks', () => {
    const columns = ['i.known', 'i.price', 'u.count', 'u.rfm'];
    expect(scorerRow(columns, { rfm: 5, unused: 9 }, { price: 2 })).toEqual([0, 2, 0, 5]);
  });
});
