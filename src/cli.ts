/**
 * The `reclab` command line.
 *   reclab list                                   registered pipelines and models
 *   reclab reproduce <pipeline|--all> [--quick | --scale paper] [--seeds N] [--out DIR]
 *                                                 evidence mode by default; a failed pipeline never stops the others
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
import type { Verdict } from './evidence/claims.ts';
import type { RunMode } from './evidence/rules.ts';

/** How one pipeline of a `reproduce` call ended. */
interface Outcome {
  name: string;
  state: 'finished' | 'failed' | 'skipped';
  dir: string;
  seconds: number;
  /** Verdict counts, the skip reason or the error's first line. */
  detail: string;
}

/** An error with its message, stack and causes (a Python traceback arrives as a cause's message). */
function fullError(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as Error).cause, depth++) {
    parts.push(cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : String(cur));
  }
  return parts.join('\ncaused by: ');
}

function verdictCounts(verdicts: Verdict[]): string {
  if (!verdicts.length) return 'no claims declared';
  const counts = new Map<string, number>();
  for (const v of verdicts) counts.set(v.verdict, (counts.get(v.verdict) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** The end-of-run summary: finished, failed and skipped pipelines with their times and details. */
function summarise(outcomes: Outcome[], mode: RunMode): string {
  const lines = [`reproduce (${mode}${mode === 'quick' ? ': smoke test — not evidence' : ''}): ${outcomes.filter((o) => o.state === 'finished').length} finished, ${outcomes.filter((o) => o.state === 'failed').length} failed, ${outcomes.filter((o) => o.state === 'skipped').length} skipped, ${(outcomes.reduce((a, o) => a + o.seconds, 0) / 60).toFixed(1)} min`];
  for (const o of outcomes) lines.push(`  ${o.state.padEnd(8)} ${o.name.padEnd(24)} ${`${o.seconds.toFixed(0)} s`.padStart(7)}  ${o.detail}${o.dir ? `  (${o.dir})` : ''}`);
  return lines.join('\n');
}

const USAGE = `usage:
  reclab list
  reclab reproduce <pipeline|--all> [--quick | --scale paper] [--seeds N] [--out DIR] [--no-images]
      default: evidence mode (>= 5 seeds, converged fits, verdicts); --quick: a smoke test, not evidence;
      --scale paper: the paper's sizes where known (for bigger machines)
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
      options: { all: { type: 'boolean' }, quick: { type: 'boolean' }, scale: { type: 'string' }, seeds: { type: 'string' }, out: { type: 'string' }, 'no-images': { type: 'boolean' } },
    });
    const names = values.all ? listPipelines().map((p) => p.name) : positionals;
    if (!names.length) throw new Error(`reproduce: name a pipeline or pass --all\n${USAGE}`);
    if (values.scale !== undefined && values.scale !== 'paper') throw new Error(`reproduce: --scale takes 'paper', got '${values.scale}'`);
    if (values.scale && values.quick) throw new Error('reproduce: --quick and --scale paper exclude each other');
    const mode: RunMode = values.quick ? 'quick' : values.scale === 'paper' ? 'paper' : 'evidence';
    const seeds = values.seeds === undefined ? 0 : Number(values.seeds);
    if (!(Number.isInteger(seeds) && seeds >= 0)) throw new Error(`reproduce: --seeds must be a positive integer, got '${values.seeds}'`);
    const outcomes: Outcome[] = [];
    for (const name of names) {
      const t0 = Date.now();
      try {
        const run = await runPipeline(name, { mode, seeds, out: values.out ?? 'results', figureFormats: values['no-images'] ? [] : ['png', 'svg'] });
        console.log(`\n${run.markdown}`);
        for (const w of run.warnings) console.log(`warning: ${w}`);
        console.log(`results: ${run.dir}`);
        outcomes.push({ name, state: run.skipped ? 'skipped' : 'finished', dir: run.dir, seconds: (Date.now() - t0) / 1000, detail: run.skipped ?? verdictCounts(run.verdicts) });
      } catch (e) {
        // One failed pipeline never stops the others: print its error in full and go on.
        console.error(`\nreclab: ${name} FAILED:\n${fullError(e)}`);
        outcomes.push({ name, state: 'failed', dir: '', seconds: (Date.now() - t0) / 1000, detail: (e as Error).message.split('\n')[0] || String(e) });
      }
    }
    if (outcomes.length > 1) console.log(`\n${summarise(outcomes, mode)}`);
    return outcomes.some((o) => o.state === 'failed') ? 1 : 0;
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
