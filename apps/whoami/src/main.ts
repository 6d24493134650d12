// whoami: traefik/whoami-compatible echo service. Flags and environment: README.md. Logic: libs/whoami.
import { runWhoami } from '@livelab/whoami-core';

void runWhoami(process.argv.slice(2));
