#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { fail, VERSION } from './cli-kit.js';
import { registerCommands } from './commands/index.js';
import { serveFleetIfWorker } from './fleet-worker-entry.js';

const program = new Command();
program
  .name('mptcpscope')
  .description('Multipath TCP (v0/v1) dissector and analyzer')
  .version(VERSION, '--version', 'print the version')
  .option('--debug', 'show stack traces for errors')
  .showHelpAfterError('(run with --help for usage)')
  // Usage errors as one `mptcpscope: ...` line, like every other error.
  .configureOutput({ outputError: (str, write) => write(`mptcpscope: ${str.replace(/^error: /, '')}`) })
  .exitOverride();
registerCommands(program);

// A worker of the fleet pool serves captures to its parent instead of reading a command line.
if (!(await serveFleetIfWorker())) {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    // Help and version exit 0; usage errors were already printed by commander and exit 2.
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    fail(err);
  }
}
