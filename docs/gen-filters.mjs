// Rewrites the generated field table of docs/filters.md from the field registry (run `npm run build` first):
//   node docs/gen-filters.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { fieldsMarkdown, FIELDS_DOC_START, FIELDS_DOC_END } = await import(join(root, 'dist/dissect/filter/fields-doc.js'));
const file = join(root, 'docs/filters.md');
const text = readFileSync(file, 'utf8');
const a = text.indexOf(FIELDS_DOC_START);
const b = text.indexOf(FIELDS_DOC_END);
if (a < 0 || b < a) { console.error('docs/filters.md has no generated-section markers'); process.exit(1); }
writeFileSync(file, text.slice(0, a) + fieldsMarkdown() + text.slice(b + FIELDS_DOC_END.length));
console.log('docs/filters.md: field table rewritten');
