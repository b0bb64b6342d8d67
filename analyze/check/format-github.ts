/** `check --format github`: GitHub Actions workflow commands, one annotation per violation. */
import type { CaptureResult } from './evaluate.js';
import { violationText } from './format-text.js';

/** Escapes a workflow command's message. */
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** Escapes a workflow command's property value (also ':' and ','). */
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

const COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

export function formatGithub(results: CaptureResult[]): string {
  const out: string[] = [];
  for (const c of results) {
    const file = escapeProperty(c.file);
    if (c.status === 'error') {
      out.push(`::error file=${file},title=INPUT_ERROR::${escapeData(c.error ?? 'cannot analyze')}`);
      continue;
    }
    for (const r of c.rules) {
      for (const v of r.violations) out.push(`::${COMMAND[v.severity]} file=${file},title=${escapeProperty(r.id)}::${escapeData(violationText(v))}`);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
