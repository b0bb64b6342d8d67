// Every analyze report of every shipped capture (kernel and public) validates against docs/analyze.schema.json.
import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import { captureFiles } from './helpers/capture-files.js';

const files = [...captureFiles('captures'), ...captureFiles('../shared/captures-public').filter((f) => !existsSync('captures/public'))];
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync('docs/analyze.schema.json', 'utf8')));

describe('analyze --json reports match docs/analyze.schema.json', () => {
  it('has captures to check', () => expect(files.length).toBeGreaterThan(5));
  it.each(files)('%s', async (file) => {
    const res = await analyzeFile(file);
    const report = JSON.parse(JSON.stringify(buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: '0.0.0' }, res.diagnosis)));
    const ok = validate(report);
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });
});
