// Public API of @livelab/work-protocol: Scheduler protocol /v1: zod schemas and types shared by the work server and client.
export {};
