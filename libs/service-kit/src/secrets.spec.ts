import { sameSecret } from './secrets';

describe('sameSecret', () => {
  it('is true only for the same string', () => {
    expect(sameSecret('publish-key-123', 'publish-key-123')).toBe(true);
    expect(sameSecret('publish-key-124', 'publish-key-123')).toBe(false);
    expect(sameSecret('publish-key-12', 'publish-key-123')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
    expect(sameSecret('', '')).toBe(true);
  });
});
