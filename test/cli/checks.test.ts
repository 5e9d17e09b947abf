/**
 * The CLI's checks before anything trains, as a user meets them (child processes): TensorFlow's start-up lines kept
 * off stderr, every model in `list`, model configs and method names validated with a message naming the key and no
 * run folder left behind, `data check` and `reproduce --data` on fixture folders, and `report` pointing at the folder
 * of the last `reproduce --out`. The checks themselves (checkPipelineModels) are also tested in-process on every
 * registered pipeline's defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli.ts')];
const env: NodeJS.ProcessEnv = { ...process.env, RECLAB_PROGRESS: '0' };
delete env.TF_CPP_MIN_LOG_LEVEL; // the user's choice would keep TensorFlow's lines
const TF_LINE = /absl::InitializeLog|oneDNN custom operations|cpu_feature_guard/;

function reclab(args: string[], o: { cwd?: string; stderrFile?: string } = {}) {
  const fd = o.stderrFile ? openSync(o.stderrFile, 'w') : undefined;
  try {
    const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', env, cwd: o.cwd ?? ROOT, stdio: ['ignore', 'pipe', fd ?? 'pipe'] });
    return { status: r.status, stdout: r.stdout, stderr: fd === undefined ? r.stderr : readFileSync(o.stderrFile!, 'utf8') };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

test('list: every pipeline and every model (CDR, SASRec, MRFF, FedPA too), and no TensorFlow start-up line on stderr', async () => {
  const r = reclab(['list']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, TF_LINE);
  assert.equal(r.stderr, '');
  process.env.RECLAB_BACKEND ||= 'cpu';
  const { listPipelines } = await import('../../src/pipelines/registry.ts');
  const { listModelEntries } = await import('../../src/models/registry.ts');
  for (const p of listPipelines()) assert.match(r.stdout, new RegExp(`^  ${p.name.replace(/[/]/g, '\\/')} `, 'm'), p.name);
  const models = listModelEntries().map((m) => m.name);
  for (const m of ['sasrec', 'mrff', 'fedpa', 'bpr-mf', 'shared-emb', 'emcdr', 'ptupcdr', 'unicdr', 'dnn', 'minet', 'farm']) assert.ok(models.includes(m), m);
  for (const m of models) assert.match(r.stdout, new RegExp(`^  ${m} `, 'm'), m);
});

test('reproduce loads TensorFlow with its start-up lines kept off stderr (a file here; a terminal or pipe alike)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reclab-quiet-'));
  const r = reclab(['reproduce', 'nope', '--quick', '--out', join(dir, 'out')], { stderrFile: join(dir, 'stderr.txt') });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /reclab: nope FAILED:\nError: unknown pipeline 'nope'/, 'stderr works again after the load');
  assert.doesNotMatch(r.stderr, TF_LINE);
});

test('a wrong model config, model name or method name stops reproduce before anything trains, naming the key; no run folder', () => {
  const out = mkdtempSync(join(tmpdir(), 'reclab-cfg-'));
  const cases: Array<[string[], RegExp]> = [
    [['--set', 'models.DNN.config.hidden=big'], /baselines\/ctr config: models\.0\.config\.hidden \(model 'dnn'\): expected array, received string \(given: "big"\)/],
    [['--set', 'base=DNNN'], /baselines\/ctr config: base 'DNNN' is not one of its methods \(DNN, Wide&Deep, DeepFM, DIN\)/],
    [['--set', 'models.GRU.config.hidden=[8]'], /--set models\.GRU\.config\.hidden: 'models' has no element 'GRU' \(4 elements; labels: DNN, Wide&Deep, DeepFM, DIN\)/],
  ];
  for (const [args, message] of cases) {
    const r = reclab(['reproduce', 'baselines/ctr', '--quick', '--out', out, ...args]);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /nothing was run \(no run folder was made\)/);
    assert.ok(!existsSync(join(out, 'baselines-ctr')), `${args.join(' ')} left a run folder`);
  }
});

test('checkPipelineModels passes every registered pipeline default (all modes) and catches a wrong one anywhere in it', async () => {
  process.env.RECLAB_BACKEND ||= 'cpu';
  const { listPipelines } = await import('../../src/pipelines/registry.ts');
  const { checkPipelineModels, checkModelConfig } = await import('../../src/models/registry.ts');
  for (const p of listPipelines()) {
    for (const mode of ['quick', 'evidence', 'paper'] as const) {
      const parsed = p.schema.safeParse(p.defaults(mode));
      assert.ok(parsed.success, `${p.name} ${mode}`);
      assert.doesNotThrow(() => checkPipelineModels(p.name, parsed.data), `${p.name} ${mode}`);
    }
  }
  const farm = structuredClone(listPipelines().find((p) => p.name === 'farm/main')!.defaults('quick')) as Record<string, unknown>;
  (farm.modelSizes as Record<string, Record<string, unknown>>)['live-dnn'].bottom = 'wide';
  assert.throws(() => checkPipelineModels('farm/main', farm), /farm\/main config: modelSizes\.live-dnn\.bottom \(model 'live-dnn'\): expected array/);
  const mrff = structuredClone(listPipelines().find((p) => p.name === 'mrff/main')!.defaults('quick')) as { methods: Array<{ model: Record<string, unknown> }> };
  mrff.methods[4].model.groups = 'four';
  assert.throws(() => checkPipelineModels('mrff/main', mrff), /mrff\/main config: methods\.4\.model\.groups \(model 'sasrec'\): expected number, received string/);
  const ab = structuredClone(listPipelines().find((p) => p.name === 'chorus-cvr/main')!.defaults('quick')) as { ab: { treatment: string } };
  ab.ab.treatment = 'Chorus';
  assert.throws(() => checkPipelineModels('chorus-cvr/main', ab), /ab\.treatment 'Chorus' is not one of its methods/);
  const ctr = structuredClone(listPipelines().find((p) => p.name === 'baselines/ctr')!.defaults('quick')) as { models: Array<{ model: string; config: Record<string, unknown> }> };
  ctr.models[3].config.embeddingDim = 0.5;
  assert.throws(() => checkPipelineModels('baselines/ctr', ctr), /baselines\/ctr config: models\.3\.config\.embeddingDim \(model 'din'\): expected integer, received float \(given: 0\.5\)/);
  ctr.models[3].config = { hiden: [8] };
  assert.throws(() => checkPipelineModels('baselines/ctr', ctr), /models\.3\.config \(model 'din'\): unknown key\(s\) 'hiden' \(known: embeddingDim, attentionHidden, hidden, dropout, behaviours\)/);
  ctr.models[3] = { ...ctr.models[3], model: 'dinn', config: {} };
  assert.throws(() => checkPipelineModels('baselines/ctr', ctr), /models\.3\.model: unknown model 'dinn' \(known: dnn, /);
  assert.throws(() => checkModelConfig('unicdr', { lambda: 2 }, 'methods.4.config'), /methods\.4\.config\.lambda \(model 'unicdr'\): Number must be less than or equal to 1/);
});

