// Worker thread entry used when the library runs from TypeScript sources (tests, tsx). The bundled app uses
// its own main.js as the worker file instead (see apps/work-client/src/main.ts).
import { runSieveWorker } from './sieve-worker';

runSieveWorker();
