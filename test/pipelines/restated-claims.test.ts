/**
 * Claims restated by a run (PipelineOutput.claims): verdicts.json and table.md judge and show the run's wording in
 * place of the declared claim with the same id; restating a claim the pipeline does not declare, or one claim twice, fails the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Claim } from '../../src/evidence/claims.ts';
import { restateClaims } from '../../src/evidence/claims.ts';
import { buildResultTable } from '../../src/pipelines/result-table.ts';
import { registerPipeline } from '../../src/pipelines/pipeline.ts';
import { runPipeline } from '../../src/pipelines/runner.ts';

const claim = (id: string, text: string): Claim => ({ id, text, source: 'test', table: 'main', metric: 'auc', method: 'DIN', base: 'DNN', direction: 'higher' });
const DECLARED = [claim('din-beats-dnn', 'DIN beats DNN at size 10'), claim('other', 'unchanged')];
const results = [
  { method: 'DNN', seeds: [1, 2, 3, 4, 5], values: { auc: [0.70, 0.71, 0.72, 0.70, 0.71] } },
  { method: 'DIN', seeds: [1, 2, 3, 4, 5], values: { auc: [0.73, 0.735, 0.75, 0.74, 0.745] } },
];

registerPipeline({
  name: 'test/restated',
  paper: 'test',
  title: 'restated claims',
  description: 'a pipeline whose run restates a declared claim',
  schema: z.strictObject({ size: z.number(), restate: z.string(), seeds: z.array(z.number()) }),
  defaults: () => ({ size: 10, restate: 'din-beats-dnn', seeds: [1, 2, 3, 4, 5] }),
  claims: DECLARED,
  async run(config) {
    const table = buildResultTable({ id: 'main', title: 'toy', base: 'DNN', metrics: [{ name: 'auc', higherIsBetter: true }], results });
    return { tables: [table], figures: [], results: {}, claims: [claim(config.restate, `DIN beats DNN at size ${config.size}`)] };
  },
});

test('restateClaims: same id replaced in the declared order, the rest kept; an undeclared id names the pipeline', () => {
  const out = restateClaims(DECLARED, [claim('din-beats-dnn', 'at size 3')], 'p');
  assert.deepEqual(out.map((c) => c.text), ['at size 3', 'unchanged']);
  assert.deepEqual(restateClaims(DECLARED, undefined, 'p'), DECLARED);
  assert.throws(() => restateClaims(DECLARED, [claim('new', 'x')], 'test/restated'), /test\/restated: the run restated claim 'new', which the pipeline does not declare \(declared: din-beats-dnn, other\)/);
  assert.throws(() => restateClaims(DECLARED, [claim('other', 'first'), claim('other', 'second')], 'p'), /p: the run restated claim 'other' twice \('first' and 'second'\)/);
});

test('runner: the run\'s restated claim is judged and shown; an undeclared one fails the run', async () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-restated-'));
  const run = await runPipeline('test/restated', { out, verbose: false, figureFormats: [], config: { size: 3 } });
  assert.deepEqual(run.verdicts.map((v) => [v.claim.id, v.claim.text]), [['din-beats-dnn', 'DIN beats DNN at size 3'], ['other', 'unchanged']]);
  assert.equal(run.verdicts[0].verdict, 'agrees');
  const saved = JSON.parse(readFileSync(join(run.dir, 'verdicts.json'), 'utf8')) as { verdicts: Array<{ claim: Claim }> };
  assert.equal(saved.verdicts[0].claim.text, 'DIN beats DNN at size 3');
  assert.match(run.markdown, /DIN beats DNN at size 3/);
  assert.doesNotMatch(run.markdown, /at size 10/);
  await assert.rejects(runPipeline('test/restated', { out, verbose: false, figureFormats: [], config: { restate: 'nope' } }), /the run restated claim 'nope', which the pipeline does not declare/);
});
