/**
 * The `reclab` command line (`reclab <command> --help` for each):
 *   reclab list                                   registered pipelines and models
 *   reclab reproduce <pipeline|--all> [--quick | --scale paper] [--seeds N] [--set k=v]... [--config FILE] [--out DIR]
 *                                                 evidence mode by default; a failed pipeline never stops the others
 *   reclab runs [--results DIR]                   every run with state (dead when its process is gone), mode, seeds, age
 *   reclab export <RUN_DIR> [--format csv|md|latex]  a run's records or tables, recomputed from results.csv
 *   reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--out DIR] [--no-pdf]
 *                                                 newest finished run per pipeline -> results/report/<id>/index.html|pdf
 *   reclab doctor                                 backend, Python env, torch, kernel, chromium, with fix hints
 */
import { parseArgs } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runJobs, type JobOutcome } from './pipelines/jobs.ts';
import { exportRun, type ExportFormat } from './pipelines/export.ts';
import { formatAge, listRuns } from './pipelines/run-status.ts';
import { listPipelines } from './pipelines/registry.ts';
import { runPipeline } from './pipelines/runner.ts';
import { listModels } from './models/registry.ts';
import { doctor } from './doctor.ts';
import { buildReport, collectRuns, writeReport } from './report/report.ts';
import type { Verdict } from './evidence/claims.ts';
import { RUN_MODES, type RunMode } from './evidence/rules.ts';

/** How one pipeline of a `reproduce` call ended. */
type Outcome = JobOutcome;

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

const HELP: Record<string, string> = {
  list: `reclab list
  Prints the registered pipelines and models.`,
  reproduce: `reclab reproduce <pipeline...|--all> [options]
  Runs pipelines into results/<pipeline>/<run-id>/ (results.csv, verdicts.json, table.md, figures/, meta.json).
  A pipeline that fails is marked failed, its error printed in full, and the others still run; the call exits 1 if any failed.
  --quick              a smoke test (tiny budgets, few seeds): every output says "smoke test — not evidence"
  --scale paper        the paper's sizes where known (for bigger machines); default: evidence mode sized for this machine
  --seeds N            seeds 1..N instead of the pipeline's list (evidence and paper modes need N >= 5)
  --set key=value      override one config key (dotted path, e.g. trainer.epochs=8; the value is read as JSON when it
                       parses, else as a string); repeatable; validated by the pipeline's strict schema
  --config FILE.json   config overrides from a JSON file (applied before --set)
  --out DIR            results root (default results)
  --no-images          HTML figures only (no PNG/SVG)
  --workers N          run several pipelines in N worker processes (default: the number of cores; 1 = one process)`,
  runs: `reclab runs [--results DIR]
  Lists every run folder, newest first: state (running, finished, failed, interrupted, skipped, or dead when a run's
  process is gone), mode, seeds, age, folder.`,
  export: `reclab export <RUN_DIR> [--format csv|md|latex]
  Prints a run's tidy records (csv, the default) or its tables recomputed from them (md, latex with booktabs).`,
  report: `reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--mode quick|evidence|paper] [--out DIR] [--no-pdf]
  Turns, per pipeline under --results (default results), the newest finished run of the highest mode present
  (paper > evidence > quick; --mode picks one) into results/report/<id>/ with the claims' verdicts.`,
  doctor: `reclab doctor
  Checks the backend, the Python environment, torch, the tslab kernel and Chromium, with a fix for what is missing.`,
};

const USAGE = `usage:
  reclab list
  reclab reproduce <pipeline|--all> [--quick | --scale paper] [--seeds N] [--set key=value]... [--config FILE.json] [--workers N] [--out DIR] [--no-images]
      default: evidence mode (>= 5 seeds, converged fits, verdicts); --quick: a smoke test, not evidence;
      --scale paper: the paper's sizes where known (for bigger machines)
  reclab runs [--results DIR]
  reclab export <RUN_DIR> [--format csv|md|latex]
  reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--mode MODE] [--out DIR] [--no-pdf]
  reclab doctor
'reclab <command> --help' explains a command.`;

/** Sets a dotted key in a nested override object: 'trainer.epochs' = 8. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((k) => k === '')) throw new Error(`reproduce: --set key '${path}' has an empty part`);
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (next === undefined) cur[k] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new Error(`reproduce: --set ${path}: '${k}' was already set to a value, not an object`);
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

/** Config overrides from --config FILE.json then each --set key=value. */
function configOverrides(file: string | undefined, sets: string[]): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  if (file !== undefined) {
    if (!existsSync(file)) throw new Error(`reproduce: --config ${file}: no such file`);
    try {
      out = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`reproduce: --config ${file}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof out !== 'object' || out === null || Array.isArray(out)) throw new Error(`reproduce: --config ${file}: expected a JSON object of config keys`);
  }
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`reproduce: --set expects key=value, got '${s}'`);
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw; // a bare string
    }
    setPath(out, s.slice(0, eq), value);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command && HELP[command] && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(HELP[command]);
    return 0;
  }
  if (command === 'runs') {
    const { values } = parseArgs({ args: rest, strict: true, options: { results: { type: 'string' } } });
    const runs = listRuns(values.results ?? 'results');
    if (!runs.length) console.log(`no runs under ${values.results ?? 'results'}`);
    for (const r of runs) console.log(`${r.state.padEnd(11)} ${r.mode.padEnd(8)} ${String(r.seeds ?? '-').padStart(3)} seeds  ${formatAge(r.ageSeconds).padStart(7)} ago  ${r.pipeline.padEnd(22)} ${r.dir}${r.detail ? `\n            ${r.detail}` : ''}`);
    return 0;
  }
  if (command === 'export') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { format: { type: 'string' } } });
    if (positionals.length !== 1) throw new Error(`export: name one run folder\n${HELP.export}`);
    const format = values.format ?? 'csv';
    if (format !== 'csv' && format !== 'md' && format !== 'latex') throw new Error(`export: --format must be csv, md or latex, got '${format}'`);
    process.stdout.write(exportRun(positionals[0], format as ExportFormat));
    return 0;
  }
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
      options: { all: { type: 'boolean' }, quick: { type: 'boolean' }, scale: { type: 'string' }, seeds: { type: 'string' }, set: { type: 'string', multiple: true }, config: { type: 'string' }, workers: { type: 'string' }, outcome: { type: 'string' }, out: { type: 'string' }, 'no-images': { type: 'boolean' } },
    });
    const names = values.all ? listPipelines().map((p) => p.name) : positionals;
    if (!names.length) throw new Error(`reproduce: name a pipeline or pass --all\n${USAGE}`);
    if (values.scale !== undefined && values.scale !== 'paper') throw new Error(`reproduce: --scale takes 'paper', got '${values.scale}'`);
    if (values.scale && values.quick) throw new Error('reproduce: --quick and --scale paper exclude each other');
    const mode: RunMode = values.quick ? 'quick' : values.scale === 'paper' ? 'paper' : 'evidence';
    const seeds = values.seeds === undefined ? 0 : Number(values.seeds);
    if (values.seeds !== undefined && !(/^\d+$/.test(values.seeds) && seeds >= 1)) throw new Error(`reproduce: --seeds must be a positive integer, got '${values.seeds}'`);
    const config = configOverrides(values.config, values.set ?? []);
    const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
    if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`reproduce: --workers must be a positive integer, got '${values.workers}'`);
    let outcomes: Outcome[] = [];
    if (workers > 1 && names.length > 1) {
      // Independent pipelines in worker processes; each worker is this command for one pipeline.
      const passThrough = [...(values.seeds ? ['--seeds', values.seeds] : []), ...(values.set ?? []).flatMap((x) => ['--set', x]), ...(values.config ? ['--config', values.config] : []), '--out', values.out ?? 'results', ...(values['no-images'] ? ['--no-images'] : [])];
      console.log(`reproduce: ${names.length} pipelines on ${workers} workers (${mode}${mode === 'quick' ? ': smoke test — not evidence' : ''}); each worker's output goes to ${values.out ?? 'results'}/.jobs/`);
      try {
        outcomes = await runJobs(names, { mode, workers, passThrough, out: values.out ?? 'results', onProgress: (l) => console.log(l) });
      } catch (e) {
        const partial = (e as { outcomes?: Outcome[] }).outcomes;
        if (!partial) throw e;
        console.error(`\nreclab: ${(e as Error).message}\n${summarise(partial, mode)}`);
        return 130;
      }
      for (const o of outcomes) {
        if (o.state === 'finished' && existsSync(`${o.dir}/table.md`)) console.log(`\n${readFileSync(`${o.dir}/table.md`, 'utf8')}\nresults: ${o.dir}`);
        if (o.state === 'failed' && o.log && existsSync(o.log)) console.error(`\n${readFileSync(o.log, 'utf8').split('\n').slice(-60).join('\n')}`);
      }
    } else {
      for (const name of names) {
        const t0 = Date.now();
        try {
          const run = await runPipeline(name, { mode, seeds, config, out: values.out ?? 'results', figureFormats: values['no-images'] ? [] : ['png', 'svg'] });
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
    }
    if (values.outcome) writeFileSync(values.outcome, `${JSON.stringify(outcomes, null, 2)}\n`);
    if (outcomes.length > 1) console.log(`\n${summarise(outcomes, mode)}`);
    if (values.out && values.out !== 'results') console.log(`report these runs with: reclab report --results ${values.out}`);
    return outcomes.some((o) => o.state === 'failed') ? 1 : 0;
  }
  if (command === 'report') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { runs: { type: 'string', multiple: true }, results: { type: 'string' }, out: { type: 'string' }, mode: { type: 'string' }, 'no-pdf': { type: 'boolean' } },
    });
    const results = values.results ?? 'results';
    if (values.mode !== undefined && !(RUN_MODES as readonly string[]).includes(values.mode)) throw new Error(`report: --mode must be one of ${RUN_MODES.join(', ')}, got '${values.mode}'`);
    const collected = collectRuns(results, { runs: [...(values.runs ?? []), ...positionals], ...(values.mode ? { mode: values.mode } : {}) });
    if (collected.runs.length === 0) {
      const why = collected.skipped.length ? `only skipped runs (${collected.skipped.map((r) => `${r.pipeline}: ${r.reason ?? ''}`).join('; ')})` : 'no finished run';
      throw new Error(`report: ${why} under ${results}${values.mode ? ` in mode ${values.mode}` : ''}${collected.incomplete.length ? ` (${collected.incomplete.length} incomplete)` : ''}; run \`reclab reproduce\` first`);
    }
    const report = buildReport(collected);
    const written = await writeReport(report, values.out ?? `${results}/report`, { pdf: !values['no-pdf'] });
    for (const r of report.runs) console.log(`reported: ${r.pipeline} ${r.dir}`);
    for (const r of collected.skipped) console.log(`skipped: ${r.pipeline} ${r.dir} [${(r.reason ?? '').split('\n')[0]}]`);
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
