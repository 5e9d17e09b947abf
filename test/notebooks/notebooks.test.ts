/**
 * Every notebook under notebooks/ is committed clean and runs headless on the tslab kernel.
 *
 * Per notebook: (1) the committed file has a tslab kernelspec and no outputs (every code cell `outputs: []`,
 * `execution_count: null`); (2) `jupyter nbconvert --execute` runs it on the tslab kernel registered in `.venv`, into a
 * temporary directory, and must exit 0; (3) the executed copy has every code cell executed, no `error` output and no
 * error on stderr (tslab reports compile diagnostics and exceptions as stderr text, not as `error` outputs), plus the
 * outputs listed for it in `EXPECTED` below; every figure output carries plotly's mime bundle
 * (`application/vnd.plotly.v1+json`, what JupyterLab's plotly extension draws) beside its text/html fallback.
 * Finally the figures of the executed notebooks are drawn in headless Chromium the way JupyterLab's plotly renderer
 * draws them (`Plotly.newPlot` on the bundle's data and layout), and each must show a plot with drawn traces.
 *
 * The Python environment (`.venv` with nbconvert) and the kernel registration come from `npm run setup`; when either is
 * missing this test fails and says so, it never skips. Run alone with:
 *   node --import tsx --test test/notebooks/notebooks.test.ts
 * (RECLAB_NOTEBOOK_FILTER=gme runs only the notebooks whose file name contains 'gme').
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { z } from 'zod';
import { createRequire } from 'node:module';
import { chromiumPath, figureFromFragment, withBrowser } from '../../src/plots/index.ts';
import { PLOTLY_MIME } from '../../src/notebook/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NOTEBOOK_DIR = join(ROOT, 'notebooks');
const VENV = join(ROOT, '.venv');
const JUPYTER = join(VENV, 'bin/jupyter');
const KERNEL_JSON = join(VENV, 'share/jupyter/kernels/tslab/kernel.json');
const TSLAB_BIN = join(ROOT, 'node_modules/.bin/tslab');
const FIX = 'run `npm run setup` (creates .venv from env/requirements.txt and registers the tslab kernel into it)';
/** Whole-notebook limit; nbconvert's own per-cell limit is 600 s. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/** Multi-line notebook text: a string or a list of lines. */
const Text = z.union([z.string(), z.array(z.string())]).transform((t) => (typeof t === 'string' ? t : t.join('')));
const Output = z
  .object({
    output_type: z.string(),
    name: z.string().optional(),
    text: Text.optional(),
    data: z.record(z.unknown()).optional(),
    ename: z.string().optional(),
    evalue: z.string().optional(),
  })
  .passthrough();
const Cell = z
  .object({
    cell_type: z.string(),
    source: Text,
    outputs: z.array(Output).optional(),
    execution_count: z.number().int().nullable().optional(),
    metadata: z.object({ execution: z.record(z.string()).optional() }).passthrough().optional(),
  })
  .passthrough();
const Notebook = z
  .object({
    cells: z.array(Cell),
    metadata: z.object({ kernelspec: z.object({ name: z.string(), language: z.string() }).passthrough() }).passthrough(),
  })
  .passthrough();
type Notebook = z.infer<typeof Notebook>;
type Output = z.infer<typeof Output>;

function readNotebook(path: string): Notebook {
  const parsed = Notebook.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: not a notebook this test understands: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Whether a markdown table holds `cell` (e.g. '| DCMT |'). A row label may carry the " †" still-improving mark
 * (src/pipelines/result-table.ts), so '| DCMT |' also matches '| DCMT † |'; a non-cell string is a plain substring test.
 */
function hasRow(md: string, cell: string): boolean {
  if (!cell.startsWith('| ') || !cell.endsWith(' |')) return md.includes(cell);
  const label = cell.slice(2, -2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\| ${label}( †)? \\|`).test(md);
}

/** The text of a rich output for one MIME type ('' when absent). */
function mime(o: Output, type: string): string {
  const v = o.data?.[type];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('');
  return '';
}

/** All outputs of the code cells whose source contains `marker`; fails when no cell matches. */
function outputsOf(nb: Notebook, marker: string): Output[] {
  const cells = nb.cells.filter((c) => c.cell_type === 'code' && c.source.includes(marker));
  assert.ok(cells.length > 0, `no code cell contains ${JSON.stringify(marker)}`);
  return cells.flatMap((c) => c.outputs ?? []);
}

function stdoutOf(outputs: Output[]): string {
  return outputs.filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => o.text ?? '').join('');
}

/** What a notebook must show beyond "ran without errors", keyed by file name (a notebook not listed gets only that). */
const EXPECTED: Record<string, (nb: Notebook) => void> = {
  'em3.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'groundTruthCeiling(')), /ground-truth ceiling on test: AUC 0\.\d{4}/, 'the ceiling was not printed');
    assert.match(stdoutOf(outputsOf(nb, "'ping'")), /Python \d+\.\d+\.\d+, torch \S+, pid \d+/, 'the bridge ping was not printed');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| ID-only |', '| + frozen content |', '| + end-to-end content |', '| + Content-ID contrastive (EM3) |', 'ground-truth ceiling', 'auc_new_items']) assert.ok(hasRow(md, row), `the table (text/markdown) lacks '${row}':\n${md}`);
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('EM3 variants: test AUC'), 'the AUC figure was not drawn');
  },
  'mrff.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'federatedCeiling(world')), /ground-truth ceiling on test: AUC 0\.\d{4}/, 'the ceiling was not printed');
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    for (const s of ['Plotly.newPlot', 'validation AUC by round', 'Layer-0 routing by true group']) assert.ok(html.includes(s), `the figures lack '${s}'`);
    assert.match(stdoutOf(outputsOf(nb, 'adjustedRandIndex(')), /adjusted Rand index layer 0: -?\d\.\d{3}/, 'the ARI was not printed');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| MRFF |', '| FedAvg-SASRec |', '| Local-only SASRec |', '| *ground-truth ceiling* |', 'comm_MB_per_round', 'ari_layer0', '| K=4, balance |']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
  },
  'fedpa.ipynb': (nb) => {
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| FedPA |', '| Foundation (no adaptation) |', '| FedAvg full fine-tuning |', '| LoRA init zeros (released code) |', 'epsilon']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('validation AUC by round') && html.includes('FedPA ablation'), 'the curve and ablation figures were not drawn');
  },
  '00-tour.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'backendInfo()')), /name: '(tensorflow|cpu)'/, 'backendInfo() was not printed');
    assert.match(stdoutOf(outputsOf(nb, 'groundTruthCeiling(')), /ground-truth ceiling on test: AUC 0\.\d{4}/, 'the ceiling was not printed');
    // danfo frames as HTML tables, not ASCII boxes.
    const frames = [...outputsOf(nb, 'df.head()'), ...outputsOf(nb, '.groupby(')].map((o) => mime(o, 'text/html')).join('');
    for (const column of ['user_id', 'hist_item_id', 'click_mean']) assert.ok(frames.includes(`<th>${column}</th>`), `the danfo HTML tables lack column '${column}'`);
    assert.match(frames, /<td>\d+<\/td>/, 'the danfo HTML tables have no data cells');
    const tables = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    assert.ok(hasRow(tables, '| DIN |') && hasRow(tables, '| DNN |'), `the result table (text/markdown) lacks the DNN and DIN rows:\n${tables}`);
    assert.ok(tables.includes('ground-truth ceiling'), 'the result table lacks the ground-truth ceiling row');
    const figure = outputsOf(nb, 'display.figure(').find((o) => o.data?.[PLOTLY_MIME] !== undefined);
    assert.ok(figure, `the figure cell produced no ${PLOTLY_MIME} output`);
    assert.ok(JSON.stringify(figure.data?.[PLOTLY_MIME]).includes('ground-truth ceiling'), 'the figure lacks the ceiling reference line');
    assert.ok(mime(figure, 'text/html').includes('Plotly.newPlot'), 'the figure output has no text/html fallback drawing it');
  },
  'gme.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'neighbourSignal(')), /neighbour signal r = -?\d\.\d{3}/, 'the neighbour signal was not printed');
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('old-ad neighbours'), 'the graph of one new ad was not drawn');
    assert.ok(html.includes('new-ad AUC vs warm-up stage'), 'the warm-up curves were not drawn');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| random init |', '| Meta-Embedding |', '| GME-A |', '| GME-P |', '| *ground-truth ceiling* |', '| GME-A N=10 |']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
  },
  'chorus-cvr.ipynb': (nb) => {
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('CTR and CVR by selection bias'), 'the funnel-by-bias figure was not drawn');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| ChorusCVR |', '| DCMT |', '| *ground-truth ceiling* |', 'bias=3']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
    const section = outputsOf(nb, '.section(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(section.includes('reclab-section') && section.includes('ChorusCVR') && section.includes('<svg'), 'the report section (text/html) with tables and figures was not shown');
  },
  'unicdr.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'sampleNegatives(')), /dual-user-inter: 2 domains, overlap of users; d1 \d+ train \/ \d+ test \/ \d+ cold[\s\S]*oracle HR@10 on d1 0\.\d{3}/, 'the worlds and oracle HR@10 were not printed');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| UniCDR |', '| UniCDR+ |', '| BPR-MF |', '| PTUPCDR |', '| *oracle (true preference)* |', 'hr10_cold_d1', 'hr10_full_d1', '| w/o MMoE head |', '| UniCDR (item similarity, EASE) |']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
    const html = outputsOf(nb, 'scenarioChart(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('HR@10 per scenario'), 'the per-scenario chart was not drawn');
  },
  'moment-cross.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'liveCeilings(')), /ground-truth ceiling on test \(AUC\): click 0\.\d{4}/, 'the ceiling was not printed');
    assert.match(stdoutOf(outputsOf(nb, 'buildSampleStream(')), /\d+ impressions -> \d+ samples \(\d+ fast, \d+ slow\)/, 'the sample stream was not summarised');
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('attractiveness vs real-time window features'), 'the room figure was not drawn');
    assert.ok(html.includes('ablation on live-world') && html.includes('error_y'), 'the ablation bars with error bars were not drawn');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| Moment&Cross |', '| PLE |', '| Base (daily batch) |', '| w/o label mask |', '| *ground-truth ceiling* |', '| w/o cross-domain search † |', '| hard search K = 50 |']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
  },
  'farm.ipynb': (nb) => {
    const printed = stdoutOf(outputsOf(nb, 'liveCeilings('));
    assert.match(printed, /ground-truth ceiling on test \(AUC\): click 0\.\d{4}/, 'the ceiling was not printed');
    assert.match(printed, /high-frequency energy share: \d+\.\d% with rare behaviours vs \d+\.\d% without/, 'the spectrum summary was not printed');
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    for (const title of ['Spectrum of hist_sv_action', 'FARM ablations', 'relative gain in mean AUC', 'Simulated A/B lift']) assert.ok(html.includes('Plotly.newPlot') && html.includes(title), `the figure '${title}' was not drawn`);
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| FARM |', '| PLE |', '| Naive cross-domain |', '| *ground-truth ceiling* |', '| w/o frequency module |', '| high-frequency only |']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
    assert.match(stdoutOf(outputsOf(nb, 'abLiftFigure(')), /A\/A \(PLE vs PLE\), gifts per user: lift -?\d+\.\d{2}%/, 'the A/B lifts were not printed');
  },
  'qarm.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'contentBehaviourAgreement(')), /mismatch 0: token accuracy 0\.\d{3}, pixel accuracy 0\.\d{3} \(chance 0\.\d{3}\), agreement 0\.\d{3}/, 'the content diagnostics were not printed');
    assert.match(stdoutOf(outputsOf(nb, 'preparedFor(')), /top-10 content neighbours: Swing recall 0\.\d{3} -> 0\.\d{3}/, 'the alignment summary was not printed');
    const nbMd = outputsOf(nb, 'nearestNeighbours(').map((o) => mime(o, 'text/markdown')).join('');
    assert.ok(hasRow(nbMd, '| content, aligned |') && hasRow(nbMd, '| Swing (behaviour) |'), 'the nearest-neighbour table was not shown');
    const html = outputsOf(nb, 'figureDiv(').map((o) => mime(o, 'text/html')).join('');
    for (const title of ['What raw content says about behaviour', 'Items per first-level RQ code', 'Test AUC per variant']) assert.ok(html.includes('Plotly.newPlot') && html.includes(title), `the figure '${title}' was not drawn`);
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| Base (ID only) |', '| + frozen MM (aligned) |', '| + VQ + RQ codes |', '| *ground-truth ceiling* |', 'QARM code statistics', 'QARM A/B arms offline']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
    assert.match(stdoutOf(outputsOf(nb, "'qarm/ab'")), /A\/B .+ vs Base \(ID only\) — new items: clicks per request \(new items\) [\d.]+ -> [\d.]+, lift -?[\d.]+%/, 'the A/B lifts were not printed');
  },
  'minet.ipynb': (nb) => {
    assert.match(stdoutOf(outputsOf(nb, 'groundTruthCeiling(')), /ground-truth ceiling on test: AUC 0\.\d{4}[\s\S]*truth without shortTarget: AUC 0\.\d{4}/, 'the ceiling and the per-interest truth AUCs were not printed');
    const md = outputsOf(nb, 'tableToMarkdown(').map((o) => mime(o, 'text/markdown')).join('');
    for (const row of ['| MiNet |', '| CoNet |', '| DIN |', '| *ground-truth ceiling* |', 'share_short_source', '| w/o short-term source interest (p_s) |', 'A/A check']) assert.ok(hasRow(md, row), `the tables (text/markdown) lack '${row}':\n${md}`);
    const html = outputsOf(nb, 'interestWeightFigure(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(html.includes('Plotly.newPlot') && html.includes('MiNet interest weights by target-history segment'), 'the interest-weight figure was not drawn');
    const section = outputsOf(nb, '.section(').map((o) => mime(o, 'text/html')).join('');
    assert.ok(section.includes('reclab-section') && section.includes('MiNet') && section.includes('<svg'), 'the report section (text/html) with tables and figures was not shown');
  },
};

/** Why the headless run cannot start, or null when the environment is ready. */
function environmentProblem(): string | null {
  if (!existsSync(JUPYTER)) return `${JUPYTER} is missing (no Python environment with Jupyter)`;
  if (!existsSync(join(VENV, 'bin/jupyter-nbconvert'))) return 'nbconvert is not installed in .venv';
  if (!existsSync(TSLAB_BIN)) return `${TSLAB_BIN} is missing (npm dependencies not installed)`;
  if (!existsSync(KERNEL_JSON)) return `the tslab kernel is not registered in .venv (${KERNEL_JSON} is missing)`;
  const argv = z.object({ argv: z.array(z.string()).min(1) }).safeParse(JSON.parse(readFileSync(KERNEL_JSON, 'utf8')));
  if (!argv.success) return `${KERNEL_JSON} has no argv`;
  if (argv.data.argv[0] !== TSLAB_BIN) return `${KERNEL_JSON} starts ${argv.data.argv[0]}, not this checkout's ${TSLAB_BIN}`;
  if (!existsSync(join(ROOT, 'node_modules/reclab/notebook.js'))) return 'the notebook package shim node_modules/reclab is missing';
  if (!existsSync(join(ROOT, '.reclab/types/notebook/index.d.ts'))) return "reclab's declarations (.reclab/types) are not built";
  return null;
}

/** RECLAB_NOTEBOOK_FILTER=substring runs only the notebooks whose file name contains it (e.g. `tour`). */
const notebooks = existsSync(NOTEBOOK_DIR)
  ? readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith('.ipynb') && f.includes(process.env.RECLAB_NOTEBOOK_FILTER ?? '')).sort()
  : [];
const outDir = mkdtempSync(join(tmpdir(), 'reclab-notebooks-'));
after(() => rmSync(outDir, { recursive: true, force: true }));

test('notebooks/ holds notebooks', () => {
  assert.ok(notebooks.length > 0, `no .ipynb files in ${NOTEBOOK_DIR}`);
});

for (const name of notebooks) {
  const source = join(NOTEBOOK_DIR, name);

  describe(name, () => {
    test('is committed for the tslab kernel, without outputs', () => {
      const nb = readNotebook(source);
      assert.equal(nb.metadata.kernelspec.name, 'tslab', 'kernelspec.name must be tslab');
      assert.equal(nb.metadata.kernelspec.language, 'typescript', 'kernelspec.language must be typescript');
      nb.cells.forEach((c, i) => {
        if (c.cell_type !== 'code') return;
        assert.deepEqual(c.outputs, [], `cell ${i} has committed outputs; clear them before committing`);
        assert.equal(c.execution_count, null, `cell ${i} has a committed execution_count; clear outputs before committing`);
      });
    });

    test('runs headless on the tslab kernel: no errors, expected outputs', { timeout: RUN_TIMEOUT_MS + 60_000 }, async () => {
      const problem = environmentProblem();
      assert.ok(problem === null, `cannot run ${name}: ${problem}; ${FIX}`);
      const run = await execa(
        JUPYTER,
        [
          'nbconvert', '--to', 'notebook', '--execute',
          '--ExecutePreprocessor.timeout=600', '--ExecutePreprocessor.kernel_name=tslab',
          '--output-dir', outDir, source,
        ],
        {
          cwd: ROOT,
          reject: false,
          timeout: RUN_TIMEOUT_MS,
          env: {
            // The kernel is the node script node_modules/.bin/tslab; pin Jupyter's kernel search to .venv so a tslab
            // registered elsewhere (per user) cannot shadow this checkout's.
            PATH: [join(ROOT, 'node_modules/.bin'), process.env.PATH ?? ''].join(delimiter),
            JUPYTER_PATH: join(VENV, 'share/jupyter'),
            RECLAB_PROGRESS: '0',
          },
        },
      );
      const log = `${run.stdout}\n${run.stderr}`.trim().slice(-6000);
      assert.ok(!run.timedOut, `${name}: nbconvert ran past ${RUN_TIMEOUT_MS / 1000} s:\n${log}`);
      assert.equal(run.exitCode, 0, `${name}: nbconvert failed (a cell errored, or the kernel did not start):\n${log}`);

      const nb = readNotebook(join(outDir, name));
      nb.cells.forEach((c, i) => {
        if (c.cell_type !== 'code') return;
        // tslab sends no execute_input, so executed cells keep execution_count null; nbclient's timing says they ran.
        assert.ok(c.metadata?.execution?.['shell.execute_reply'] !== undefined, `cell ${i} was not executed`);
        for (const o of c.outputs ?? []) {
          assert.notEqual(o.output_type, 'error', `cell ${i} raised ${o.ename ?? ''}: ${o.evalue ?? ''}`);
          if (o.output_type === 'stream' && o.name === 'stderr') {
            // tslab prints compile diagnostics as "line:col - message" and exceptions with their stack.
            assert.doesNotMatch(o.text ?? '', /^\d+:\d+ - |Error\b|Exception\b/m, `cell ${i} wrote an error to stderr:\n${o.text ?? ''}`);
          }
        }
      });
      nb.cells.forEach((c, i) => {
        for (const o of c.outputs ?? []) {
          // A figureDiv fragment (not a report section's static figures) must come with plotly's bundle.
          if (figureFromFragment(mime(o, 'text/html')) !== null) {
            assert.ok(o.data?.[PLOTLY_MIME] !== undefined, `cell ${i} shows a figure without plotly's mime bundle (${PLOTLY_MIME}): use display from 'reclab/notebook'`);
          }
        }
      });
      EXPECTED[name]?.(nb);
    });
  });
}

/** The plotly figures (data and layout) of every notebook executed above, with where they came from. */
function executedFigures(): { where: string; fig: { data: unknown[]; layout: Record<string, unknown> } }[] {
  const out: { where: string; fig: { data: unknown[]; layout: Record<string, unknown> } }[] = [];
  for (const name of notebooks) {
    const path = join(outDir, name);
    if (!existsSync(path)) continue;
    readNotebook(path).cells.forEach((c, i) => {
      for (const o of c.outputs ?? []) {
        const fig = z.object({ data: z.array(z.unknown()), layout: z.record(z.unknown()) }).passthrough().safeParse(o.data?.[PLOTLY_MIME]);
        if (fig.success) out.push({ where: `${name} cell ${i}`, fig: fig.data });
      }
    });
  }
  return out;
}

test('the executed notebooks\' figures draw in headless Chromium as JupyterLab draws them', { timeout: 120_000 }, async () => {
  const figures = executedFigures();
  assert.ok(figures.length > 0, `no figure with ${PLOTLY_MIME} in the executed notebooks under ${outDir}`);
  assert.ok(existsSync(chromiumPath()), `Chromium is missing at ${chromiumPath()}; ${FIX}`);
  const plotlyJs = createRequire(import.meta.url).resolve('plotly.js-dist-min');
  const drawn = await withBrowser(async (browser) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<!DOCTYPE html><html><body></body></html>');
    await page.addScriptTag({ path: plotlyJs });
    // What jupyterlab-plotly's mime renderer does with a bundle: Plotly.newPlot(div, data, layout).
    const result = await page.evaluate(async (figs) => {
      const w = globalThis as unknown as { Plotly: { newPlot: (el: unknown, d: unknown, l: unknown) => Promise<unknown> }; document: { createElement: (t: string) => { className: string; querySelectorAll: (s: string) => { length: number; forEach: (f: (e: { getBBox: () => { width: number; height: number } }) => void) => void } }; body: { appendChild: (e: unknown) => void }; querySelectorAll: (s: string) => { length: number } } };
      const rows: { traces: number; area: number }[] = [];
      for (const f of figs) {
        const div = w.document.createElement('div');
        w.document.body.appendChild(div);
        await w.Plotly.newPlot(div, f.data, f.layout);
        let area = 0;
        div.querySelectorAll('.main-svg .trace path, .main-svg .trace rect, .main-svg .trace text').forEach((e) => {
          const b = e.getBBox();
          area += b.width * b.height;
        });
        rows.push({ traces: div.querySelectorAll('.main-svg .trace').length, area });
      }
      return { plots: w.document.querySelectorAll('.js-plotly-plot').length, rows };
    }, figures.map((f) => f.fig));
    assert.deepEqual(errors, [], 'the page reported errors while drawing');
    return result;
  });
  assert.equal(drawn.plots, figures.length, `${figures.length} figures, ${drawn.plots} plotly plots on the page`);
  drawn.rows.forEach((r, i) => {
    if (figures[i].fig.data.length === 0) return;
    assert.ok(r.traces > 0 && r.area > 0, `${figures[i].where}: the figure drew no visible trace (${r.traces} traces, area ${r.area})`);
  });
});
