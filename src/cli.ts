/**
 * The `reclab` command line.
 *   reclab list                                   registered pipelines and models
 *   reclab reproduce <pipeline|--all> [--quick] [--seeds N] [--out DIR]
 *   reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--out DIR] [--no-pdf]
 *                                                 newest finished run per pipeline -> results/report/<id>/index.html|pdf
 *   reclab doctor                                 backend, Python env, torch, kernel, chromium, with fix hints
 */
import { parseArgs } from 'node:util';
import { listPipelines } from './pipelines/registry.ts';
import { runPipeline } from './pipelines/runner.ts';
import { listModels } from './models/registry.ts';
import { doctor } from './doctor.ts';
import { buildReport, collectRuns, writeReport } from './report/report.ts';

const USAGE = `usage:
  reclab list
  reclab reproduce <pipeline|--all> [--quick] [--seeds N] [--out DIR] [--no-images]
  reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--out DIR] [--no-pdf]
  reclab doctor`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'list') {
    console.log('pipelines:');
    for (const p of listPipelines()) console.log(`  ${p.name.padEnd(24)} ${p.description}`);
    console.log('models:');
    for (const m of listModels()) console.log(`  ${m.name.padEnd(24)} ${m.description}`);
    return 0;
  }
  if (command === 'doctor') {
    let bad = 0;
    for (const c of doctor()) {
      console.log(`${c.ok ? 'ok     ' : 'MISSING'} ${c.name.padEnd(14)} ${c.detail}${c.ok ? '' : `\n        fix: ${c.fix}`}`);
      if (!c.ok) bad++;
    }
    return bad ? 1 : 0;
  }
  if (command === 'reproduce') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { all: { type: 'boolean' }, quick: { type: 'boolean' }, seeds: { type: 'string' }, out: { type: 'string' }, 'no-images': { type: 'boolean' } },
    });
    const names = values.all ? listPipelines().map((p) => p.name) : positionals;
    if (!names.length) throw new Error(`reproduce: name a pipeline or pass --all\n${USAGE}`);
    const seeds = values.seeds === undefined ? 0 : Number(values.seeds);
    if (!(Number.isInteger(seeds) && seeds >= 0)) throw new Error(`reproduce: --seeds must be a positive integer, got '${values.seeds}'`);
    const dirs: string[] = [];
    for (const name of names) {
      const run = await runPipeline(name, { quick: values.quick ?? false, seeds, out: values.out ?? 'results', figureFormats: values['no-images'] ? [] : ['png', 'svg'] });
      console.log(`\n${run.markdown}`);
      for (const w of run.warnings) console.log(`warning: ${w}`);
      console.log(`results: ${run.dir}`);
      dirs.push(run.dir);
    }
    if (dirs.length > 1) console.log(`\nwrote ${dirs.length} runs:\n${dirs.map((d) => `  ${d}`).join('\n')}`);
    return 0;
  }
  if (command === 'report') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { runs: { type: 'string', multiple: true }, results: { type: 'string' }, out: { type: 'string' }, 'no-pdf': { type: 'boolean' } },
    });
    const results = values.results ?? 'results';
    const collected = collectRuns(results, { runs: [...(values.runs ?? []), ...positionals] });
    if (collected.runs.length === 0) throw new Error(`report: no finished run under ${results}${collected.incomplete.length ? ` (${collected.incomplete.length} incomplete)` : ''}; run \`reclab reproduce\` first`);
    const report = buildReport(collected);
    const written = await writeReport(report, values.out ?? `${results}/report`, { pdf: !values['no-pdf'] });
    for (const r of report.runs) console.log(`reported: ${r.pipeline} ${r.dir}`);
    for (const r of report.incomplete) console.log(`incomplete (not reported): ${r.pipeline} ${r.dir} [${r.state}${r.reason ? `: ${r.reason}` : ''}]`);
    for (const w of written.warnings) console.log(`warning: ${w}`);
    if (written.pdf) console.log(`pdf: ${written.pdf}`);
    console.log(`report: ${written.html}`);
    return 0;
  }
  console.error(command ? `unknown command '${command}'\n${USAGE}` : USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`reclab: ${(e as Error).message}`);
    process.exit(1);
  },
);
