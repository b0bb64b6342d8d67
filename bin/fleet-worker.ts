/**
 * Entry point of the fleet pool's workers (child processes and worker threads): only what analyzing a capture
 * needs, without the command line's parser and commands, so a worker is ready sooner. The pool falls back to
 * the command line's own entry (mptcpscope.js, which serves when it finds itself a worker) where this file is
 * missing.
 */
import { isMainThread } from 'node:worker_threads';
import { boundHeapGrowth } from './heap-policy.js';
import { serveProcess, serveThread } from '../analyze/fleet/serve.js';

boundHeapGrowth();
if (isMainThread) serveProcess();
else serveThread();
