import { pollUntil } from './poll';

describe('pollUntil', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    await expect(pollUntil('n to reach 3', () => ++n >= 3 && n, 1000, 1)).resolves.toBe(3);
  });
  it('names what it waited for when it times out', async () => {
    await expect(pollUntil('godot', () => false, 50, 5)).rejects.toThrow('timed out after 50 ms waiting for godot');
  });
});
