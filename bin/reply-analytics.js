#!/usr/bin/env node
// The project ships TypeScript sources and runs them through tsx, so `npm start`
// and the `reply-analytics` command need no build step after `npm install`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
