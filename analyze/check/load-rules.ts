/**
 * Reads a rules file (YAML or JSON), validates it against docs/rules.schema.json and turns the first problem
 * into one line that points at the bad key: `rules.yaml: /sessions/minSubflows: must be integer`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseDocument } from 'yaml';
import { addressBlock } from './endpoint-match.js';

export { endpointMatches } from './endpoint-match.js';
import { defaultRules, RULE_IDS, type PacketRule, type Rules, type RuleScope } from './rules.js';
import { compileFilter, FilterError } from '../../dissect/filter/index.js';

/** A rules file that cannot be read or is not valid: one line, naming the file. */
export class RulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesError';
  }
}

/** docs/rules.schema.json, found from the source tree (analyze/check) or the built one (dist/analyze/check). */
export function rulesSchemaPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'docs', 'rules.schema.json');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('docs/rules.schema.json not found next to the program');
}

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true });
    validator = ajv.compile(JSON.parse(readFileSync(rulesSchemaPath(), 'utf8')) as object);
  }
  return validator;
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}/${String(e.params.additionalProperty)}: unknown key`;
    case 'required':
      return `${at}/${String(e.params.missingProperty)}: required`;
    case 'enum':
      return `${at || '(top level)'}: must be one of ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'type':
      return `${at || '(top level)'}: must be ${String(e.params.type).replace(',', ' or ')}`;
    case 'minProperties':
      return `${at || '(top level)'}: must not be empty`;
    default:
      return `${at || '(top level)'}: ${e.message ?? 'invalid'}`;
  }
}

/** Parses the text of a rules file named `name` (its extension chooses JSON or YAML). */
export function parseRulesText(text: string, name: string): unknown {
  if (/\.json$/i.test(name)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new RulesError(`${name}: invalid JSON: ${(err as Error).message}`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problem = doc.errors[0];
  if (problem) {
    const pos = problem.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
    const first = problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new RulesError(`${name}: invalid YAML: ${where}${first}`);
  }
  return doc.toJS() as unknown;
}

/** Checks what the schema cannot: addresses and CIDR prefixes, minSubflows <= maxSubflows. */
function checkSemantics(rules: Rules, name: string): void {
  const sessionValues: Array<[string, Rules['sessions'] | undefined]> = [['/sessions', rules.sessions]];
  rules.scopes.forEach((s, i) => {
    sessionValues.push([`/scopes/${i}/sessions`, s.sessions]);
    const addrs = s.match.address === undefined ? [] : Array.isArray(s.match.address) ? s.match.address : [s.match.address];
    addrs.forEach((a, j) => {
      if (!addressBlock(a)) {
        const at = Array.isArray(s.match.address) ? `/scopes/${i}/match/address/${j}` : `/scopes/${i}/match/address`;
        throw new RulesError(`${name}: ${at}: not an IP address or CIDR prefix: ${JSON.stringify(a)}`);
      }
    });
  });
  const ids = new Set<string>(RULE_IDS);
  rules.packets.forEach((r, i) => {
    if (ids.has(r.id)) throw new RulesError(`${name}: /packets/${i}/id: ${r.id} is already a rule id`);
    ids.add(r.id);
    try {
      compileFilter(r.filter);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      throw new RulesError(`${name}: /packets/${i}/filter: ${err.reason} (at column ${err.pos + 1} of ${JSON.stringify(r.filter)})`);
    }
  });
  for (const [at, v] of sessionValues) {
    if (v?.minSubflows !== undefined && v.maxSubflows !== undefined && v.minSubflows > v.maxSubflows) {
      throw new RulesError(`${name}: ${at}/minSubflows: must not exceed maxSubflows (${v.maxSubflows})`);
    }
  }
}

/** Validates parsed rules (an object from YAML or JSON) and completes them with defaults. */
export function rulesFromValue(value: unknown, name: string): Rules {
  const v = value === null || value === undefined ? {} : value;
  const check = validate();
  if (!check(v)) {
    const err = (check.errors ?? [])[0];
    throw new RulesError(`${name}: ${err ? describeError(err) : 'invalid rules'}`);
  }
  const o = v as Partial<Rules>;
  const rules: Rules = { ...defaultRules(), sessions: o.sessions ?? {}, severity: o.severity ?? {}, scopes: (o.scopes ?? []) as RuleScope[], packets: (o.packets ?? []) as PacketRule[] };
  if (o.pair) rules.pair = o.pair;
  checkSemantics(rules, name);
  return rules;
}

/** Reads, parses and validates a rules file. Every problem is a RulesError of one line. */
export function loadRulesFile(path: string): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RulesError(`cannot read rules file ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`);
  }
  return rulesFromValue(parseRulesText(text, path), path);
}

