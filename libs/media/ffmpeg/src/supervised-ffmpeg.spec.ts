import { redactSecrets } from './supervised-ffmpeg';
describe('redactSecrets', () => {
  it('hides publish keys and URL passwords from log lines', () => {
    expect(redactSecrets('ffmpeg -f flv rtmp://h:1935/live/a?key=s3cret -y')).toBe('ffmpeg -f flv rtmp://h:1935/live/a?key=*** -y');
    expect(redactSecrets('http://user:pw@host/x?a=1&token=abc')).toBe('http://user:***@host/x?a=1&token=***');
  });
});
