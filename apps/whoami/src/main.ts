import { createLogger } from '@livelab/service-kit';
createLogger('whoami').info('stub');
