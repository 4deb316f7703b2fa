#!/usr/bin/env node
// The project ships TypeScript sources and runs them through tsx, so `npm start`
// and the `reply-analytics` command need no build step after `npm install`.

// chDB's async calls and the embedded log's fsyncs share libuv's thread pool (4 threads by
// default): read API queries each hold one for their whole run, and must not leave the
// receiver's fsyncs waiting behind them. Read once, at the pool's first use, so set first.
process.env.UV_THREADPOOL_SIZE ??= String(4 + (Number(process.env.QUERY_MAX_CONCURRENT) || 2));

const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
