/**
 * src/notebook: what a notebook cell sends. Figures go out as plotly's mime bundle with the figureDiv fragment as
 * text/html fallback (also when a paper notebook calls `display.html(figureDiv(fig))`), tables as HTML (row objects,
 * danfo frames, result tables), progress as one display id updated in place. Bundles are captured with
 * setDisplayWriter instead of a kernel.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dfd from 'danfojs-node';
import { barChart, figureDiv, lineChart } from '../../src/plots/index.ts';
import { PLOTLY_MIME, display, figureBundle, notebookProgress, progressLine, setDisplayWriter, tableHtml } from '../../src/notebook/index.ts';
import { Progress } from '../../src/train/progress.ts';
import type { MimeBundle } from '../../src/notebook/index.ts';
import { buildResultTable } from '../../src/pipelines/result-table.ts';

interface Sent {
  bundle: MimeBundle;
  id: string | undefined;
  update: boolean;
}

function capture(): Sent[] {
  const sent: Sent[] = [];
  setDisplayWriter((bundle, id, update) => sent.push({ bundle, id, update }));
  return sent;
}

afterEach(() => setDisplayWriter(null));

const FIG = barChart(
  [
    { label: 'AUC', mean: 0.71, std: 0.004, group: 'DIN' },
    { label: 'AUC', mean: 0.7, std: 0.004, group: 'DNN' },
  ],
  { title: 'Test <b>AUC</b>', refLines: [{ y: 0.74, label: 'ground-truth ceiling' }] },
);

test('a figure is sent as plotly mime JSON with an HTML fallback, also through display.html(figureDiv(fig))', () => {
  const sent = capture();
  display.figure(FIG);
  display.html(figureDiv(FIG));
  display.html('<p>plain</p>');
  assert.equal(sent.length, 3);
  for (const { bundle } of sent.slice(0, 2)) {
    const plotly = bundle[PLOTLY_MIME] as { data: unknown[]; layout: { title: { text: string } } };
    assert.deepEqual(plotly.data, JSON.parse(JSON.stringify(FIG.data)), 'the traces travel unchanged');
    assert.equal(plotly.layout.title.text, 'Test <b>AUC</b>');
    assert.ok(String(bundle['text/html']).includes('Plotly.newPlot'), 'the fallback draws the figure');
    assert.equal(bundle['text/plain'], '<reclab figure: Test AUC; 2 traces>');
  }
  assert.deepEqual(sent[2].bundle, { 'text/html': '<p>plain</p>' }, 'other HTML passes through');
  assert.throws(() => figureBundle({ data: 'x' } as never), /figureBundle: expected a figure/);
});

test('outside a kernel the display says so instead of dropping the output', () => {
  assert.throws(() => display.figure(lineChart([{ name: 'a', x: [1], y: [1] }])), /not inside a running tslab kernel|tslab is not installed/);
});

test('tables: row objects, danfo frames and result tables become escaped HTML tables', async () => {
  const rows = tableHtml([{ method: 'DIN', auc: 0.712345 }, { method: '<DNN>', auc: 0.7, extra: 3 }]);
  assert.match(rows, /<th>method<\/th><th>auc<\/th><th>extra<\/th>/);
  assert.match(rows, /<td>DIN<\/td><td>0\.7123<\/td><td><\/td>/);
  assert.ok(rows.includes('<td>&lt;DNN&gt;</td>'), 'cells are escaped');

  const df = new dfd.DataFrame({ user_id: [1, 2, 3], click: [0, 1, 0] });
  const html = tableHtml(df, 2);
  assert.match(html, /<th>user_id<\/th><th>click<\/th>/);
  assert.match(html, /<tr><td>1<\/td><td>0<\/td><\/tr><tr><td>2<\/td><td>1<\/td><\/tr><\/tbody>/);
  assert.match(html, /1 more rows not shown/);

  const table = buildResultTable({
    title: 'DNN vs DIN',
    base: 'DNN',
    metrics: [{ name: 'auc', higherIsBetter: true }],
    results: [
      { method: 'DNN', seeds: [1, 2], values: { auc: [0.7, 0.702] } },
      { method: 'DIN', seeds: [1, 2], values: { auc: [0.71, 0.713] } },
    ],
  });
  const sent = capture();
  display.table(table);
  const b = sent[0].bundle;
  assert.match(String(b['text/html']), /<th>method<\/th>/);
  assert.match(String(b['text/html']), /<td>DIN<\/td>/);
  assert.match(String(b['text/markdown']), /\| DIN \|/);
  assert.throws(() => tableHtml(42 as never), /tableHtml: expected/);
});

test('progress is one output updated in place', () => {
  const sent = capture();
  const p = progressLine('epoch 1/3');
  p.update('epoch 2/3');
  p.update('epoch 3/3');
  p.done();
  assert.equal(new Set(sent.map((s) => s.id)).size, 1, 'one display id');
  assert.deepEqual(sent.map((s) => s.update), [false, true, true, true], 'the first message creates the line, the rest replace it');
  assert.deepEqual(sent.map((s) => s.bundle['text/plain']), ['epoch 1/3', 'epoch 2/3', 'epoch 3/3', 'epoch 3/3']);
  const q = progressLine();
  q.done('done');
  assert.notEqual(sent[4].id, sent[0].id, 'each line has its own id');
});

test("the trainer's progress bar becomes one notebook line updated in place, not stderr lines", () => {
  const sent = capture();
  notebookProgress(true);
  try {
    const p = new Progress({ total: 4, label: 'DIN epoch 1/2', enabled: true });
    p.update(1, { loss: 0.61 });
    p.update(2, { loss: 0.58 }); // within 250 ms of the last: skipped
    p.done({ loss: 0.55 });
  } finally {
    notebookProgress(false);
  }
  assert.equal(new Set(sent.map((s) => s.id)).size, 1);
  const texts = sent.map((s) => String(s.bundle['text/plain']));
  assert.match(texts[1], /^DIN epoch 1\/2 \[#####\.+\] 1\/4 .*loss 0\.6100/);
  assert.match(texts[texts.length - 1], /loss 0\.5500/);
  assert.ok(sent.slice(1).every((s) => s.update), 'every later message replaces the line');
});
