// Entry of the consumer thread (background-consumer.ts). The sources are TypeScript run
// through tsx, whose loader is registered per thread, so the thread registers it before
// loading the worker's module.
import { register } from 'tsx/esm/api';

register();
await import('./background-consumer-worker.ts');
