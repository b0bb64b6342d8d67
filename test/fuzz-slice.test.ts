// A bounded, seeded slice of the mutation fuzzer (fuzz/mutate.ts, docs/fuzzing.md) in the normal suite:
// 2000 mutated captures through the reader, the dissector, the analysis engine, the JSON report (checked
// against docs/analyze.schema.json) and the text summary. Any exception other than CaptureInputError, any
// broken dissector bound, any invalid report or any case over the time limit fails the test with the case
// index, so `npm run fuzz -- --seed 20240611 --start INDEX --cases 1` reproduces it (and stores the input).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus, type Corpus } from '../fuzz/corpus.js';
import { makeCase } from '../fuzz/mutate.js';
import { runCase } from '../fuzz/harness.js';
import { reportValidator } from '../fuzz/pipeline.js';

const SEED = 20240611;
const CASES = 2000;
/** Per case; generous because the suite's other files run in parallel on the same cores. */
const TIME_LIMIT_MS = 3000;

describe('fuzz slice', () => {
  let corpus: Corpus;
  beforeAll(async () => {
    corpus = await loadCorpus(process.cwd());
  });

  it(`${CASES} mutated captures run the whole pipeline without a crash (seed ${SEED})`, async () => {
    const validateReport = reportValidator(process.cwd());
    const crashes: string[] = [];
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(corpus, SEED, i);
      let o = await runCase(c.bytes, TIME_LIMIT_MS, { validateReport });
      if (o.crash === 'slow') o = await runCase(c.bytes, TIME_LIMIT_MS, { validateReport });
      if (o.refused) refused++;
      if (o.crash && crashes.length < 20) crashes.push(`case ${i} (${c.steps.join('; ')}): ${o.crash}: ${o.error}\n${o.stack ?? ''}`);
    }
    expect(crashes).toEqual([]);
    // Most cases must get past the reader, or the slice only tests refusals.
    expect(refused).toBeLessThan(CASES / 4);
  }, 120_000);
});
