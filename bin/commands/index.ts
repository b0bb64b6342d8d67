/** Every verb registers itself here; one line per verb. */
import type { Command } from 'commander';
import { registerDissect } from './dissect.js';
import { registerAnalyze } from './analyze.js';
import { registerFollow } from './follow.js';
import { registerTui } from './tui.js';
import { registerCheck } from './check.js';
import { registerReport } from './report.js';
import { registerLive } from './live.js';
import { registerCompare } from './compare.js';
import { registerExport } from './export.js';

export function registerCommands(program: Command): void {
  registerDissect(program);
  registerAnalyze(program);
  registerFollow(program);
  registerTui(program);
  registerCheck(program);
  registerReport(program);
  registerLive(program);
  registerCompare(program);
  registerExport(program);
}
