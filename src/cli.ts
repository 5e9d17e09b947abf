/**
 * The `reclab` command line (`reclab <command> --help` for each):
 *   reclab list                                   registered pipelines and every model (with its config schema)
 *   reclab reproduce <pipeline|--all> [--quick | --scale paper] [--seeds N] [--set k=v]... [--config FILE] [--data DIR] [--out DIR] [--resume]
 *                                                 evidence mode by default; a failed pipeline never stops the others;
 *                                                 every config (model configs and method names included) is checked
 *                                                 before anything trains; --resume skips what this commit finished
 *   reclab runs [--results DIR]                   every run with state (dead when its process is gone), mode, seeds, age
 *   reclab export <RUN_DIR> [--format csv|md|latex]  a run's records or tables, recomputed from results.csv
 *   reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--out DIR] [--no-pdf]
 *                                                 newest finished run per pipeline -> results/report/<id>/index.html|pdf
 *   reclab docs [--results DIR] [--out docs]      one Markdown page per paper + index.md, generated from run records
 *   reclab data check <dataset> <dir>             loads a downloaded dataset and prints what was found as JSON
 *   reclab doctor                                 backend, Python env, torch, kernel, chromium, with fix hints
 *
 * TensorFlow start-up lines: libtensorflow logs "oneDNN custom operations are on" (and absl's "All log messages
 * before absl::InitializeLog()" warning) from its static initialisers, before TF_CPP_MIN_LOG_LEVEL is read, so no
 * environment variable silences them. Commands that need no training (`--help`, `runs`, `export`, `report`, `docs`,
 * `data`, `list` on the pure-JS backend, `doctor` through a child process) never load the native library; `reproduce`
 * loads it with stderr pointed at /dev/null for the load (see {@link loadNativeQuietly}); set TF_CPP_MIN_LOG_LEVEL=0
 * to see the lines.
 */
import { parseArgs } from 'node:util';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobOutcome } from './pipelines/jobs.ts';
import type { ExportFormat } from './pipelines/export.ts';
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

/** '2 agrees, 1 cannot tell' from a run's verdicts, or 'no claims declared'. */
function verdictCounts(verdicts: readonly string[]): string {
  if (!verdicts.length) return 'no claims declared';
  const counts = new Map<string, number>();
  for (const v of verdicts) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

/** The end-of-run summary: finished, failed and skipped pipelines with their times and details. */
function summarise(outcomes: Outcome[], mode: RunMode): string {
  const lines = [`reproduce (${mode}${mode === 'quick' ? ': smoke test — not evidence' : ''}): ${outcomes.filter((o) => o.state === 'finished').length} finished, ${outcomes.filter((o) => o.state === 'failed').length} failed, ${outcomes.filter((o) => o.state === 'skipped').length} skipped, ${outcomes.filter((o) => o.state === 'not started').length ? `${outcomes.filter((o) => o.state === 'not started').length} not started, ` : ''}${(outcomes.reduce((a, o) => a + o.seconds, 0) / 60).toFixed(1)} min`];
  for (const o of outcomes) lines.push(`  ${o.state.padEnd(11)} ${o.name.padEnd(24)} ${`${o.seconds.toFixed(0)} s`.padStart(7)}  ${o.detail}${o.dir ? `  (${o.dir})` : ''}`);
  return lines.join('\n');
}

const HELP: Record<string, string> = {
  list: `reclab list
  Prints the registered pipelines and every model reclab trains (the ModelSpec registry, the federated SASRec, MRFF and
  FedPA models, and the cross-domain ranking models BPR-MF, Shared-Emb, EMCDR, PTUPCDR, UniCDR).`,
  reproduce: `reclab reproduce <pipeline...|--all> [options]
  Runs pipelines into results/<pipeline>/<run-id>/ (results.csv, verdicts.json, table.md, figures/, meta.json).
  A pipeline that fails is marked failed, its error printed in full, and the others still run; the call exits 1 if any failed.
  --quick              a smoke test (tiny budgets, few seeds): every output says "smoke test — not evidence"
  --scale paper        the paper's sizes where known (for bigger machines); default: evidence mode sized for this machine
  --seeds N            seeds 1..N instead of the pipeline's list (evidence and paper modes need N >= 5)
  --set key=value      override one config key (dotted path, e.g. trainer.epochs=8; the value is read as JSON when it
                       parses, else as a string); repeatable; validated by the pipeline's strict schema
                       arrays are indexed by position or by a method's label: --set models.DIN.config.hidden=[64,32]
  --config FILE.json   config overrides from a JSON file (applied before --set)
  --data DIR           a folder holding the public datasets (or one dataset): pipelines on real data read their files
                       from it (KuaiSAR-R, KuaiRand, Ali-CCP, Amazon 2014, CDRIB, MovieLens-1M; see 'reclab data --help')
  --out DIR            results root (default results)
  --resume             skip every pipeline that has a finished run under the results root from this same commit (clean
                       working tree then and now), mode and config; the summary lists it with that run's verdicts.
                       'npm start' passes it, so running it again after Ctrl-C goes on where it stopped
  --no-images          HTML figures only (no PNG/SVG)
  --workers N          worker processes (default: the number of cores; 1 = everything in this process). One pipeline:
                       its independent fits (method x seed x knob value) run in N workers, where the pipeline declares
                       them as jobs (ctx.fits; default 1 with --quick, whose fits take seconds and a worker's start-up
                       and world more); several pipelines: N pipelines at a time, each fitting serially
  --ray ADDRESS        send every independent fit to a Ray cluster as a one-CPU task (ADDRESS as 'ray start --head'
                       prints it, or 'auto'); the pipeline itself runs here and its run folder is written here, the same
                       as a local run's. Every node needs this checkout, set up, at the same path. With several
                       pipelines, --workers N of them run here at a time, each sending its fits to the cluster
  Every named pipeline's config is built and checked first — its strict schema, the seeds, every model config against
  the model's schema, and the method names that base / proposed / control / treatment refer to — and nothing trains
  (and no run folder is made) when one is wrong.`,
  runs: `reclab runs [--results DIR]
  Lists every run folder, newest first: state (running, finished, failed, interrupted, skipped, or dead when a run's
  process is gone), mode, seeds, age, folder.`,
  export: `reclab export <RUN_DIR> [--format csv|md|latex]
  Prints a run's tidy records (csv, the default) or its tables recomputed from them (md, latex with booktabs).`,
  report: `reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--mode quick|evidence|paper] [--out DIR] [--no-pdf]
  Turns, per pipeline under --results (default results), the newest finished run of the highest mode present
  (paper > evidence > quick; --mode picks one) into results/report/<id>/ with the claims' verdicts.`,
  docs: `reclab docs [--results DIR] [--out DIR] [--mode quick|evidence|paper]
  Writes one Markdown page per paper (its runs' tables, figures and claim verdicts) and index.md (the verdict summary
  across papers) into --out (default docs), generated from the records of the runs 'reclab report' would choose under
  --results (default results): per pipeline the newest finished run of the highest mode, so a smoke test (quick) only
  when no evidence run exists, and then labelled as one. Pages it wrote before and no longer writes are removed.`,
  data: `reclab data check <dataset> <dir> [--max-rows N]
  Loads a downloaded public dataset from <dir> with reclab's own loader and prints as JSON what to check the download
  against: files found, rows, users, items and positives per split and domain, out-of-vocabulary counts, problems.
  Exit status 0 when the data is usable, 1 otherwise. --max-rows N reads at most N rows / lines per file (big downloads).
  reclab data list      the supported datasets with their default folders, sources and licences`,
  doctor: `reclab doctor
  Checks the backend, the Python environment, torch, the tslab kernel and Chromium, with a fix for what is missing.`,
};

const USAGE = `usage:
  reclab list
  reclab reproduce <pipeline|--all> [--quick | --scale paper] [--seeds N] [--set key=value]... [--config FILE.json] [--data DIR] [--workers N] [--ray ADDRESS] [--out DIR] [--resume] [--no-images]
      default: evidence mode (>= 5 seeds, converged fits, verdicts); --quick: a smoke test, not evidence;
      --scale paper: the paper's sizes where known (for bigger machines)
  reclab runs [--results DIR]
  reclab export <RUN_DIR> [--format csv|md|latex]
  reclab report [RUN_DIR...] [--runs DIR]... [--results DIR] [--mode MODE] [--out DIR] [--no-pdf]
  reclab docs [--results DIR] [--out DIR] [--mode MODE]
  reclab data check <dataset> <dir> | reclab data list
  reclab doctor
'reclab <command> --help' explains a command.`;

/**
 * Loads TensorFlow's native library (through src/tf.ts, which picks the backend) with file descriptor 2 pointed at
 * /dev/null for the load, so libtensorflow's static-initialiser lines never reach the terminal; then puts stderr back.
 * Done only where stderr can be reopened from /proc/self/fd/2 (a terminal, a pipe, a file not shared with stdout):
 * a socket (a Node parent's 'pipe') or a file shared with stdout (`> log 2>&1`, whose shared offset a reopened
 * descriptor would not follow) keeps the lines. Not done when TF_CPP_MIN_LOG_LEVEL is 0 or 1 (the user asked for
 * TensorFlow's messages). A backend that fails to load still throws its error (an exception, not a stderr line).
 */
async function loadNativeQuietly(): Promise<void> {
  const level = process.env.TF_CPP_MIN_LOG_LEVEL;
  let saved = -1;
  try {
    if (process.platform !== 'linux' || level === '0' || level === '1') throw new Error('keep stderr');
    fstatSync(0);
    const out = fstatSync(1);
    const err = fstatSync(2);
    if (err.isSocket() || (err.isFile() && out.isFile() && out.ino === err.ino && out.dev === err.dev)) throw new Error('cannot reopen');
    saved = openSync('/proc/self/fd/2', 'a');
    closeSync(2);
    const nul = openSync('/dev/null', 'a');
    if (nul !== 2) {
      closeSync(nul);
      throw new Error('fd 2 not reused');
    }
  } catch {
    if (saved >= 0) {
      restoreStderr(saved);
      saved = -1;
    }
  }
  try {
    await import('./tf.ts');
  } finally {
    if (saved >= 0) restoreStderr(saved);
  }
}

function restoreStderr(saved: number): void {
  try {
    closeSync(2);
  } catch {
    // fd 2 was already closed
  }
  const back = openSync(`/proc/self/fd/${saved}`, 'a');
  closeSync(saved);
  if (back !== 2) throw new Error(`reclab: could not restore stderr (reopened as fd ${back})`);
}

/** Reads `--config FILE.json`: a JSON object of config keys. */
function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new Error(`reproduce: --config ${file}: no such file`);
  let out: unknown;
  try {
    out = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`reproduce: --config ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof out !== 'object' || out === null || Array.isArray(out)) throw new Error(`reproduce: --config ${file}: expected a JSON object of config keys`);
  return out as Record<string, unknown>;
}

/** Each `--set key=value` as a path and a value (read as JSON when it parses, else as a string). */
function parseSets(sets: readonly string[]): Array<{ path: string[]; text: string; value: unknown }> {
  return sets.map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`reproduce: --set expects key=value, got '${s}'`);
    const path = s.slice(0, eq).split('.');
    if (path.some((k) => k === '')) throw new Error(`reproduce: --set key '${s.slice(0, eq)}' has an empty part`);
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw; // a bare string
    }
    return { path, text: s.slice(0, eq), value };
  });
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/**
 * Sets `path` in a full config: objects are created as needed; an array is entered by position ('models.3') or by
 * the label of one of its elements ('models.DIN').
 */
function setIn(config: Record<string, unknown>, path: string[], value: unknown, text: string): void {
  let cur: unknown = config;
  for (const [i, k] of path.entries()) {
    const last = i === path.length - 1;
    if (Array.isArray(cur)) {
      const index = /^\d+$/.test(k) ? Number(k) : cur.findIndex((x) => x && typeof x === 'object' && (x as { label?: unknown }).label === k);
      if (index < 0 || index >= cur.length) {
        const labels = cur.map((x) => (x && typeof x === 'object' ? (x as { label?: unknown }).label : undefined)).filter((x) => typeof x === 'string');
        throw new Error(`reproduce: --set ${text}: '${path.slice(0, i).join('.')}' has no element '${k}' (${cur.length} elements${labels.length ? `; labels: ${labels.join(', ')}` : ''})`);
      }
      if (last) cur[index] = value;
      else cur = cur[index];
      continue;
    }
    if (!cur || typeof cur !== 'object') throw new Error(`reproduce: --set ${text}: '${path.slice(0, i).join('.')}' is a value (${JSON.stringify(cur)}), not an object`);
    const obj = cur as Record<string, unknown>;
    if (last) obj[k] = value;
    else {
      if (obj[k] === undefined || obj[k] === null) obj[k] = {};
      cur = obj[k];
    }
  }
}

/** Pipelines that read a public dataset, and the config key of its folder (set by `reproduce --data DIR`). */
const DATA_KEYS: Record<string, { dataset: string; key: string[] }> = {
  'mrff/main': { dataset: 'kuaisar-r', key: ['kuaisarDir'] },
  'farm/kuairand': { dataset: 'kuairand', key: ['kuairand', 'dir'] },
  'chorus-cvr/main': { dataset: 'ali-ccp', key: ['aliCcp', 'dir'] },
  'minet/amazon': { dataset: 'amazon-2014', key: ['data', 'dir'] },
  'unicdr/public': { dataset: 'cdrib', key: ['dir'] },
  'gme/movielens': { dataset: 'movielens-1m', key: ['dir'] },
};

/** What `reproduce` passes to the runner for one pipeline: the full config and what --data decided. */
interface BuiltConfig {
  config: Record<string, unknown>;
  /** The config after the pipeline's schema (defaults filled in): what the run's meta.json records. */
  resolved: unknown;
  notes: string[];
}

/**
 * One pipeline's full config as the runner will see it — the mode's defaults, then --data, then --config, then each
 * --set — checked before anything runs: the pipeline's strict schema, the seeds, every model config and the method
 * names (see checkPipelineModels). Throws with the pipeline, the key and what was expected.
 */
async function buildConfig(name: string, mode: RunMode, seeds: number, o: { file?: Record<string, unknown>; sets: ReturnType<typeof parseSets>; data?: string }): Promise<BuiltConfig> {
  const { getPipeline } = await import('./pipelines/registry.ts').then(() => import('./pipelines/pipeline.ts'));
  const { checkPipelineModels } = await import('./models/registry.ts');
  const { checkSeeds } = await import('./evidence/rules.ts');
  const spec = getPipeline(name);
  let config = structuredClone(spec.defaults(mode)) as Record<string, unknown>;
  const notes: string[] = [];
  const data = DATA_KEYS[name];
  if (o.data !== undefined && data) {
    const { resolveDatasetDir } = await import('./data/check.ts');
    const r = resolveDatasetDir(data.dataset, { data: o.data });
    setIn(config, data.key, r.dir, `--data ${o.data}`);
    notes.push(r.found ? `${name}: ${data.dataset} from ${r.dir}` : `${name}: --data ${o.data}: no ${data.dataset} files (looked in ${r.tried.join(', ')}); the pipeline will say what is missing`);
    console.log(notes[notes.length - 1]);
  }
  if (o.file) config = deepMerge(config, o.file);
  for (const s of o.sets) setIn(config, s.path, s.value, s.text);
  if (seeds > 0) config = { ...config, seeds: Array.from({ length: seeds }, (_, i) => i + 1) };
  const parsed = spec.schema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`pipeline '${name}' config: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const s = (parsed.data as { seeds?: unknown }).seeds;
  if (Array.isArray(s)) checkSeeds(s as number[], mode, `pipeline '${name}' config: seeds`);
  checkPipelineModels(name, parsed.data);
  return { config, resolved: parsed.data, notes };
}

/** Where `reproduce --out DIR` last wrote (so `report` can point at it when results/ is empty). */
const LAST_OUT = join('.reclab', 'last-results');

function rememberOut(out: string): void {
  try {
    mkdirSync('.reclab', { recursive: true });
    writeFileSync(LAST_OUT, `${resolve(out)}\n`);
  } catch {
    // a hint only
  }
}

/** The hint `report` / `docs` give when the results folder has no run: the folder the last `reproduce --out` wrote. */
function lastOutHint(results: string): string {
  if (!existsSync(LAST_OUT)) return '';
  const last = readFileSync(LAST_OUT, 'utf8').trim();
  if (!last || resolve(results) === last || !existsSync(last)) return '';
  return `; the last \`reclab reproduce --out\` wrote to ${last}: try --results ${last}`;
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
    const { formatAge, listRuns } = await import('./pipelines/run-status.ts');
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
    const { exportRun } = await import('./pipelines/export.ts');
    process.stdout.write(exportRun(positionals[0], format as ExportFormat));
    return 0;
  }
  if (command === 'list') {
    // Listing needs the registries, not training: the pure-JS backend, so libtensorflow (and its start-up lines) never loads.
    process.env.RECLAB_BACKEND ||= 'cpu';
    const { listPipelines } = await import('./pipelines/registry.ts');
    const { listModelEntries } = await import('./models/registry.ts');
    console.log('pipelines:');
    for (const p of listPipelines()) console.log(`  ${p.name.padEnd(24)} ${p.description}`);
    console.log('models:');
    for (const m of listModelEntries()) console.log(`  ${m.name.padEnd(24)} ${m.description}`);
    return 0;
  }
  if (command === 'doctor') {
    const { doctor } = await import('./doctor.ts');
    let bad = 0;
    for (const c of doctor()) {
      console.log(`${c.ok ? 'ok     ' : 'MISSING'} ${c.name.padEnd(14)} ${c.detail}${c.ok ? '' : `\n        fix: ${c.fix}`}`);
      if (!c.ok) bad++;
    }
    return bad ? 1 : 0;
  }
  if (command === 'data') {
    const [sub, ...args] = rest;
    const { DATASETS, checkDataset } = await import('./data/check.ts');
    if (sub === 'list') {
      for (const d of DATASETS) console.log(`${d.name.padEnd(14)} ${d.title}\n${''.padEnd(15)}folder ${d.defaultDir}; from ${d.source}; licence: ${d.licence}`);
      return 0;
    }
    if (sub !== 'check') throw new Error(`data: expected 'check <dataset> <dir>' or 'list', got '${sub ?? ''}'\n${HELP.data}`);
    const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { 'max-rows': { type: 'string' } } });
    if (positionals.length !== 2) throw new Error(`data check: expected <dataset> <dir>, got ${positionals.length} argument(s)\n${HELP.data}`);
    const maxRows = values['max-rows'] === undefined ? Infinity : Number(values['max-rows']);
    if (!(maxRows === Infinity || (Number.isInteger(maxRows) && maxRows >= 1))) throw new Error(`data check: --max-rows must be a positive integer, got '${values['max-rows']}'`);
    const report = await checkDataset(positionals[0], positionals[1], { maxRows });
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  }
  if (command === 'fit-worker') {
    // Internal: one fit of a pipeline run with fit workers (src/pipelines/fits.ts starts these).
    if (rest.length !== 1) throw new Error('fit-worker: expects one spec file (started by a run with fit workers, not by hand)');
    await loadNativeQuietly();
    const { runFitWorker } = await import('./pipelines/fits.ts');
    return runFitWorker(rest[0]);
  }
  if (command === 'reproduce') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { all: { type: 'boolean' }, resume: { type: 'boolean' }, quick: { type: 'boolean' }, scale: { type: 'string' }, seeds: { type: 'string' }, set: { type: 'string', multiple: true }, config: { type: 'string' }, data: { type: 'string' }, workers: { type: 'string' }, ray: { type: 'string' }, outcome: { type: 'string' }, out: { type: 'string' }, 'no-images': { type: 'boolean' } },
    });
    if (values.scale !== undefined && values.scale !== 'paper') throw new Error(`reproduce: --scale takes 'paper', got '${values.scale}'`);
    if (values.scale && values.quick) throw new Error('reproduce: --quick and --scale paper exclude each other');
    const mode: RunMode = values.quick ? 'quick' : values.scale === 'paper' ? 'paper' : 'evidence';
    const seeds = values.seeds === undefined ? 0 : Number(values.seeds);
    if (values.seeds !== undefined && !(/^\d+$/.test(values.seeds) && seeds >= 1)) throw new Error(`reproduce: --seeds must be a positive integer, got '${values.seeds}'`);
    const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
    if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`reproduce: --workers must be a positive integer, got '${values.workers}'`);
    if (values.ray !== undefined && !values.ray.trim()) throw new Error("reproduce: --ray needs an address (host:port as 'ray start --head' prints it, or 'auto')");
    if (values.data !== undefined && !existsSync(values.data)) throw new Error(`reproduce: --data ${values.data}: no such folder`);
    const file = values.config === undefined ? undefined : readConfigFile(values.config);
    const sets = parseSets(values.set ?? []);
    await loadNativeQuietly();
    const { listPipelines } = await import('./pipelines/registry.ts');
    const { getPipeline } = await import('./pipelines/pipeline.ts');
    const names = values.all ? listPipelines().map((p) => p.name) : [...positionals];
    if (!names.length) throw new Error(`reproduce: name a pipeline or pass --all\n${USAGE}`);
    if (values.ray !== undefined && names.length === 1 && workers > 1 && values.workers !== undefined) throw new Error(`reproduce: --ray and --workers ${workers} exclude each other for one pipeline (its fits go to the Ray cluster; --workers counts the pipelines run here at a time)`);
    // Every config is built and checked before anything trains: a wrong key, type, model config or method name stops
    // the call here, with no run folder made. An unknown pipeline name is left to fail as that pipeline's outcome.
    const built = new Map<string, BuiltConfig>();
    const errors: string[] = [];
    for (const name of names) {
      try {
        getPipeline(name);
      } catch {
        continue;
      }
      try {
        built.set(name, await buildConfig(name, mode, seeds, { file, sets, data: values.data }));
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new Error(`${errors.join('\n')}\nnothing was run (no run folder was made): fix the config first`);
    const out = values.out ?? 'results';
    if (values.out !== undefined) rememberOut(values.out);
    let outcomes: Outcome[] = [];
    // --resume: a pipeline with a finished run of this commit, mode and config under `out` is not run again.
    const resumed: Outcome[] = [];
    if (values.resume) {
      const { collectProvenance } = await import('./pipelines/provenance.ts');
      const { finishedRunOf } = await import('./pipelines/run-status.ts');
      const now = collectProvenance();
      if (now.dirty) console.log('reproduce --resume: the working tree has uncommitted changes, so no earlier run is this code\'s: every pipeline runs');
      for (const name of [...names]) {
        const b = built.get(name);
        const done = b ? finishedRunOf(out, name, mode, b.resolved, now) : null;
        if (!done) continue;
        names.splice(names.indexOf(name), 1);
        resumed.push({ name, state: 'finished', dir: done.dir, seconds: done.seconds, detail: `${verdictCounts(done.verdicts)} (finished earlier at this commit; not run again)` });
        console.log(`reproduce --resume: ${name} finished earlier with this commit, mode and config (${done.dir}): not run again`);
      }
    }
    if (workers > 1 && names.length > 1) {
      const { runJobs } = await import('./pipelines/jobs.ts');
      // Independent pipelines in worker processes; each worker is this command for one pipeline.
      // Each worker fits its pipeline serially (the workers already use the cores), or on the Ray cluster.
      const passThrough = ['--workers', '1', ...(values.ray !== undefined ? ['--ray', values.ray] : []), ...(values.seeds ? ['--seeds', values.seeds] : []), ...(values.set ?? []).flatMap((x) => ['--set', x]), ...(values.config ? ['--config', values.config] : []), ...(values.data ? ['--data', values.data] : []), '--out', out, ...(values['no-images'] ? ['--no-images'] : [])];
      const where = `${workers} workers${values.ray !== undefined ? `, their fits on Ray tasks at ${values.ray}` : ''}`;
      console.log(`reproduce: ${names.length} pipeline${names.length > 1 ? 's' : ''} on ${where} (${mode}${mode === 'quick' ? ': smoke test — not evidence' : ''}); each worker's output goes to ${out}/.jobs/`);
      try {
        outcomes = await runJobs(names, { mode, workers, passThrough, out, onProgress: (l) => console.log(l) });
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
      const { runPipeline } = await import('./pipelines/runner.ts');
      for (const name of names) {
        const t0 = Date.now();
        try {
          const run = await runPipeline(name, { mode, seeds, config: built.get(name)?.config ?? {}, out, figureFormats: values['no-images'] ? [] : ['png', 'svg'], fitWorkers: names.length === 1 && (values.workers !== undefined || mode !== 'quick') ? workers : 1, fitRay: values.ray ?? null });
          console.log(`\n${run.markdown}`);
          for (const w of run.warnings) console.log(`warning: ${w}`);
          console.log(`results: ${run.dir}`);
          outcomes.push({ name, state: run.skipped ? 'skipped' : 'finished', dir: run.dir, seconds: (Date.now() - t0) / 1000, detail: run.skipped ?? verdictCounts(run.verdicts.map((v) => v.verdict)) });
        } catch (e) {
          // One failed pipeline never stops the others: print its error in full and go on.
          console.error(`\nreclab: ${name} FAILED:\n${fullError(e)}`);
          outcomes.push({ name, state: 'failed', dir: '', seconds: (Date.now() - t0) / 1000, detail: (e as Error).message.split('\n')[0] || String(e) });
        }
      }
    }
    outcomes = [...resumed, ...outcomes];
    if (values.outcome) writeFileSync(values.outcome, `${JSON.stringify(outcomes, null, 2)}\n`);
    if (outcomes.length > 1 || resumed.length) console.log(`\n${summarise(outcomes, mode)}`);
    if (values.out && values.out !== 'results') console.log(`report these runs with: reclab report --results ${values.out}`);
    return outcomes.some((o) => o.state === 'failed') ? 1 : 0;
  }
  if (command === 'report' || command === 'docs') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: command === 'report',
      strict: true,
      options: { runs: { type: 'string', multiple: true }, results: { type: 'string' }, out: { type: 'string' }, mode: { type: 'string' }, ...(command === 'report' ? { 'no-pdf': { type: 'boolean' as const } } : {}) },
    });
    const results = values.results ?? 'results';
    if (values.mode !== undefined && !(RUN_MODES as readonly string[]).includes(values.mode)) throw new Error(`${command}: --mode must be one of ${RUN_MODES.join(', ')}, got '${values.mode}'`);
    const { buildReport, collectRuns, writeReport } = await import('./report/report.ts');
    if (!existsSync(results)) throw new Error(`${command}: no results folder at ${resolve(results)}${lastOutHint(results)}${lastOutHint(results) ? '' : '; run `reclab reproduce` first'}`);
    const collected = collectRuns(results, { runs: [...(values.runs ?? []), ...positionals], ...(values.mode ? { mode: values.mode } : {}) });
    if (collected.runs.length === 0 && (command === 'report' || collected.skipped.length === 0)) {
      const why = collected.skipped.length ? `only skipped runs (${collected.skipped.map((r) => `${r.pipeline}: ${r.reason ?? ''}`).join('; ')})` : 'no finished run';
      throw new Error(`${command}: ${why} under ${results}${values.mode ? ` in mode ${values.mode}` : ''}${collected.incomplete.length ? ` (${collected.incomplete.length} incomplete)` : ''}${lastOutHint(results) || '; run `reclab reproduce` first'}`);
    }
    if (command === 'docs') {
      const { writeDocs } = await import('./report/docs.ts');
      const written = writeDocs(collected, values.out ?? 'docs', { results });
      for (const p of written.pages) console.log(`page: ${p}`);
      for (const p of written.removed) console.log(`removed (no longer generated): ${p}`);
      console.log(`index: ${written.index}`);
      return 0;
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
