// The stream-name rule: the last path element of rtmp://…/live/<name> (the publisher's) and of /live/<name>/ (the
// players'). Lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64: safe in a URL
// path, a file name and a log line as it is, and never "." or "..".
export const STREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const isStreamName = (name: string): boolean => STREAM_NAME_PATTERN.test(name);
