// @livelab/whoami-core/testing: the differential corpus (requests and their deliberate differences from
// traefik/whoami) and the raw-HTTP runner, for the reference test and tools/whoami-reference (capture, diff-fuzz).
// Kept out of the app's bundle: index.ts does not export it.
export { corpus, req, type Case, type Deliberate, type Group } from './testing/corpus';
export { normalise, responseLength, runSteps, type Outcome, type Step } from './testing/raw-http';
