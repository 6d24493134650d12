// Public API of @livelab/work-protocol: scheduler protocol /v1, zod schemas and types shared by server and client.
export * from './messages';
export { weakKey, sha256Hex, newSecret, secretMatchesHash } from './keys';
