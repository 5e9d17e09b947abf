/**
 * `reclab docs` (src/report/docs.ts) on synthetic run folders written as the runner writes them: one page per paper
 * with the tables recomputed from results.csv (a number edited in results.csv shows on the page), figures copied and
 * linked, verdicts judged on the records; a paper with only a quick run labelled a smoke test on its page and in the
 * index's own group; a skipped run shown with its reason; the index's verdict counts; stale generated pages removed and
 * hand-written files never overwritten.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDocs, writeDocs, GENERATED_MARKER } from '../../src/report/docs.ts';
import { collectRuns } from '../../src/report/choose.ts';
import { tableFromRecords } from '../../src/pipelines/result-table.ts';
import { recordsToCsv, type ResultRecord } from '../../src/evidence/records.ts';
import { judgeClaims, type Claim } from '../../src/evidence/claims.ts';
import { SMOKE_TEST_LABEL } from '../../src/evidence/rules.ts';

const tmp = mkdtempSync(join(tmpdir(), 'reclab-docs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const claim = (id: string, method: string): Claim => ({ id, text: `${method} beats PLE on test AUC`, source: `Table ${id}`, table: 'main', metric: 'auc', method, base: 'PLE', direction: 'higher' });
const CLAIMS = [claim('1', 'FARM'), claim('2', 'DNN'), claim('3', 'MMoE')];

/** Per method 0.70 + effect + a small wobble: FARM +0.02 agrees, DNN -0.02 disagrees, MMoE +0 cannot tell. */
function records(seeds: number[]): ResultRecord[] {
  const effects: Record<string, number> = { PLE: 0, FARM: 0.02, DNN: -0.02, MMoE: 0 };
  return Object.entries(effects).flatMap(([method, effect], m) => seeds.map((seed) => ({
    pipeline: '', run: '', table: 'main', method, variant: '', knob: '', metric: 'auc', split: 'test', seed,
    value: 0.7 + effect + 0.001 * Math.sin(seed * 7 + m * 3), rows: 20000, positives: 500, se: 0.002, stillImproving: false,
  })));
}

function writeRun(root: string, o: { pipeline: string; paper: string; runId: string; started: string; mode: string; state?: 'finished' | 'skipped'; reason?: string; svg?: boolean }): string {
  const dir = join(root, o.pipeline.replace(/\//g, '-'), o.runId);
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const state = o.state ?? 'finished';
  const ended = o.started.replace(/:00\./, ':30.');
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state, started: o.started, ended, ...(state === 'skipped' ? { reason: o.reason } : {}) }));
  const seeds = o.mode === 'quick' ? [1] : [1, 2, 3, 4, 5];
  const recs = state === 'skipped' ? [] : records(seeds).map((r) => ({ ...r, pipeline: o.pipeline, run: o.runId }));
  const tables = recs.length ? [tableFromRecords(recs, { id: 'main', title: `${o.pipeline} main table`, base: 'PLE', metrics: [{ name: 'auc', higherIsBetter: true }] })] : [];
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ pipeline: o.pipeline, paper: o.paper, title: `Title of ${o.pipeline}`, mode: o.mode, smokeTest: o.mode === 'quick', seeds, config: {}, provenance: { commit: 'abcdef1234567', dirty: false, backend: { name: 'tensorflow' } }, timings: { total: 120 }, warnings: [] }));
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ pipeline: o.pipeline, mode: o.mode, tables: tables.map(({ records: _r, ...t }) => t), results: {} }));
  writeFileSync(join(dir, 'results.csv'), recordsToCsv(recs));
  writeFileSync(join(dir, 'verdicts.json'), JSON.stringify({ mode: o.mode, smokeTest: o.mode === 'quick', verdicts: judgeClaims(CLAIMS, recs) }));
  if (o.svg) writeFileSync(join(dir, 'figures', 'mechanism-gain.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>');
  if (state === 'finished') writeFileSync(join(dir, 'FINISHED'), `${ended}\n`);
  return dir;
}

test('docs: pages per paper from the records, figures, verdicts, smoke-test labels, skipped runs and the index summary', () => {
  const results = join(tmp, 'results');
  const farmEvidence = writeRun(results, { pipeline: 'farm/main', paper: 'FARM', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence', svg: true });
  // a newer quick run of the same pipeline never replaces the evidence run
  writeRun(results, { pipeline: 'farm/main', paper: 'FARM', runId: '20260302-100000-quick', started: '2026-03-02T10:00:00.000Z', mode: 'quick' });
  writeRun(results, { pipeline: 'farm/kuairand', paper: 'FARM', runId: '20260302-110000-evidence', started: '2026-03-02T11:00:00.000Z', mode: 'evidence', state: 'skipped', reason: 'KuaiRand-Pure not found under data/KuaiRand-Pure/data' });
  writeRun(results, { pipeline: 'minet/main', paper: 'MiNet', runId: '20260303-100000-quick', started: '2026-03-03T10:00:00.000Z', mode: 'quick' });

  const out = join(tmp, 'docs');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'old-paper.md'), `${GENERATED_MARKER}\n# a page of a paper no run has any more\n`);
  writeFileSync(join(out, 'notes.md'), '# written by hand\n');
  const written = writeDocs(collectRuns(results), out, { results: 'results' });
  assert.deepEqual(written.pages.map((p) => p.slice(out.length + 1)).sort(), ['farm.md', 'minet.md']);
  assert.deepEqual(written.removed, [join(out, 'old-paper.md')]);
  assert.ok(existsSync(join(out, 'notes.md')), 'a hand-written file is left alone');

  const farm = readFileSync(join(out, 'farm.md'), 'utf8');
  assert.ok(farm.startsWith(GENERATED_MARKER));
  assert.match(farm, /^# FARM: Frequency-Aware Model/m);
  assert.match(farm, /## `farm\/main` — Title of farm\/main/);
  assert.match(farm, /run `20260301-100000-evidence` · mode evidence · 5 seeds · commit abcdef1234/);
  assert.match(farm, /Newer runs of a lower mode, not shown: `20260302-100000-quick` \(quick\)/);
  const farmMean = records([1, 2, 3, 4, 5]).filter((r) => r.method === 'FARM').reduce((a, r) => a + r.value / 5, 0);
  assert.match(farm, new RegExp(`\\| FARM \\| ${farmMean.toFixed(4).replace('.', '\\.')} ± 0\\.000\\d \\(\\+`), 'the FARM cell is the mean of its records');
  assert.match(farm, /\| PLE \| 0\.70\d+ ± 0\.00\d+ \(base\) \|/);
  assert.doesNotMatch(farm, new RegExp(SMOKE_TEST_LABEL), 'the evidence page carries no smoke-test label');
  assert.match(farm, /!\[mechanism-gain\]\(figures\/farm-main\/mechanism-gain\.svg\)/);
  assert.ok(existsSync(join(out, 'figures', 'farm-main', 'mechanism-gain.svg')));
  assert.match(farm, /\| FARM beats PLE on test AUC \| \*\*agrees\*\* \|/);
  assert.match(farm, /\| DNN beats PLE on test AUC \| \*\*disagrees\*\* \|/);
  assert.match(farm, /\| MMoE beats PLE on test AUC \| \*\*cannot tell\*\* \|/);
  assert.match(farm, /## `farm\/kuairand` — Title of farm\/kuairand\n\n\*\*Skipped\*\*: KuaiRand-Pure not found under data\/KuaiRand-Pure\/data/);

  const minet = readFileSync(join(out, 'minet.md'), 'utf8');
  assert.match(minet, new RegExp(`> \\*\\*${SMOKE_TEST_LABEL}\\*\\*`));
  assert.match(minet, new RegExp(`### minet/main main table \\(${SMOKE_TEST_LABEL}\\)`));
  assert.match(minet, /mode quick .* 1 seed ·/);
  assert.match(minet, /\(1 seed\)/);

  const index = readFileSync(written.index, 'utf8');
  const evidence = index.slice(index.indexOf('## Evidence verdicts'), index.indexOf('## Smoke-test verdicts'));
  const smoke = index.slice(index.indexOf('## Smoke-test verdicts'), index.indexOf('## Pages'));
  assert.match(evidence, /\| \[FARM\]\(farm\.md\) \| `farm\/main` evidence<br>`farm\/kuairand` skipped \(evidence\) \| 1 \| 1 \| 1 \| 3 \| farm\/kuairand skipped: KuaiRand-Pure not found/);
  assert.doesNotMatch(evidence, /MiNet/);
  assert.match(smoke, /\| \[MiNet\]\(minet\.md\) \| `minet\/main` quick \|/);
  assert.match(index, /- \[FARM: Frequency-Aware Model[^\]]*\]\(farm\.md\)/);

  // a number changed in results.csv: the verdict follows the records, and the page warns that the stored table differs
  const csv = join(farmEvidence, 'results.csv');
  const lines = readFileSync(csv, 'utf8').split('\n');
  const header = lines[0].split(',');
  const farmRows = lines.map((l, i) => [l, i] as const).filter(([l]) => l.split(',')[header.indexOf('method')] === 'FARM');
  for (const [l, i] of farmRows) {
    const cells = l.split(',');
    cells[header.indexOf('value')] = '0.7777';
    lines[i] = cells.join(',');
  }
  writeFileSync(csv, lines.join('\n'));

  writeDocs(collectRuns(results), out);
  const edited = readFileSync(join(out, 'farm.md'), 'utf8');
  assert.match(edited, /> warning: table 'farm\/main main table' is shown as stored in results\.json/);
  assert.match(edited, /\| FARM beats PLE on test AUC \| \*\*agrees\*\* \| FARM − PLE = 0\.07/, 'the verdict is judged on the edited records');

  // a hand-written page of the same name is never overwritten
  writeFileSync(join(out, 'farm.md'), '# mine\n');
  assert.throws(() => writeDocs(collectRuns(results), out), /farm\.md exists and was not generated by `reclab docs`/);
  assert.equal(readFileSync(join(out, 'farm.md'), 'utf8'), '# mine\n');
});

test('docs: an unknown paper label gets its own page name; no run at all gives an index without evidence', () => {
  const results = join(tmp, 'results2');
  writeRun(results, { pipeline: 'syn/a', paper: 'Some New Paper', runId: '20260301-100000-evidence', started: '2026-03-01T10:00:00.000Z', mode: 'evidence' });
  const docs = buildDocs(collectRuns(results), { now: new Date('2026-03-04T00:00:00Z') });
  assert.deepEqual(docs.pages.map((p) => p.file), ['some-new-paper.md']);
  assert.match(docs.index, /Generated by `reclab docs` at 2026-03-04T00:00:00.000Z/);
  assert.match(buildDocs({ runs: [], skipped: [], incomplete: [] }).index, /_No evidence-mode run yet: nothing below is evidence\._/);
});
