import { Admission } from './admission';

describe('Admission', () => {
  it('admits known clients at the viewer limit and refuses new ones', () => {
    const a = new Admission({ maxViewers: 2, maxInFlight: Infinity });
    expect(a.admit('a')).toBeUndefined();
    expect(a.admit('b')).toBeUndefined();
    expect(a.admit('c')).toBe('viewers');
    expect(a.admit('a')).toBeUndefined();
    expect(a.admitted).toBe(2);
  });

  it('sheds any request past the in-flight limit until one is done', () => {
    const a = new Admission({ maxViewers: Infinity, maxInFlight: 2 });
    expect(a.admit('a')).toBeUndefined();
    expect(a.admit('a')).toBeUndefined();
    expect(a.admit('a')).toBe('in-flight');
    a.done();
    expect(a.admit('b')).toBeUndefined();
    expect(a.inFlight).toBe(2);
  });
});
