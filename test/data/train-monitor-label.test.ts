/**
 * `train()` checks its monitor before the first epoch (src/train/trainer.ts `monitorProblem`): the validation split
 * must hold the monitored label (config.label, 'click' by default whatever the loss trains on), a loss that declares
 * its label must agree, and AUC needs both classes. Lives under test/data/ because it is about the data a run is
 * given (its labels); it exercises the trainer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset, type Column } from '../../src/data/dataset.ts';
import { Rng } from '../../src/random.ts';
import { monitorProblem, resolveTrainerConfig, train } from '../../src/train/trainer.ts';
import { generateCtrWorld } from '../../src/worlds/ctr-world.ts';
import { getModelSpec } from '../../src/models/registry.ts';

const world = generateCtrWorld({ users: 120, items: 60, categories: 6, impressionsPerUser: 8, seed: 3 });
const quiet = { progressLabel: '', epochs: 1, batchSize: 256 };

/** The dataset with its 'click' label renamed (and optionally extra labels / a constant label). */
function relabel(ds: Dataset, labels: Record<string, (click: Float32Array) => Float32Array>): Dataset {
  const cols: Record<string, Column> = {};
  for (const n of ds.columnNames()) if (n !== 'click') cols[n] = ds.column(n);
  for (const [name, f] of Object.entries(labels)) cols[name] = f(ds.label('click'));
  return Dataset.fromColumns({ ...ds.schema, labels: Object.keys(labels) }, cols, 'relabelled');
}
const same = (y: Float32Array) => y;

test('a validation split without the monitored label fails before the first epoch and names the label to set', async () => {
  const tr = relabel(world.train, { purchase: same });
  const va = relabel(world.valid, { purchase: same });
  const spec = getModelSpec('dnn');
  const model = spec.create(new Rng(1), tr.schema);
  const before = model.stateDict();
  let epochs = 0;
  await assert.rejects(
    train({ model, loss: spec.loss('purchase'), train: tr, valid: va, config: quiet, onEpoch: () => void epochs++ }),
    /^Error: train: monitor 'auc' reads label 'click' \(the default\), which the validation split does not have \(its labels: purchase\); set config\.label: 'purchase'$/,
  );
  assert.equal(epochs, 0, 'no epoch ran');
  const after = model.stateDict();
  for (const [k, v] of Object.entries(before)) assert.deepEqual(after[k].values, v.values, `${k} unchanged: no step ran`);
  const ok = await train({ model, loss: spec.loss('purchase'), train: tr, valid: va, config: { ...quiet, label: 'purchase' } });
  assert.equal(ok.history.length, 1);
  assert.ok(Number.isFinite(ok.history[0].valid));
});

test('a loss that declares its label must agree with the monitor label', async () => {
  const tr = relabel(world.train, { click: same, purchase: same });
  const va = relabel(world.valid, { click: same, purchase: same });
  const spec = getModelSpec('dnn');
  const model = spec.create(new Rng(1), tr.schema);
  const loss = Object.assign(spec.loss('purchase'), { label: 'purchase' });
  await assert.rejects(train({ model, loss, train: tr, valid: va, config: quiet }), /train: the loss trains on label 'purchase' but the monitor 'auc' reads label 'click' \(the default\); set config\.label: 'purchase'/);
  assert.equal(monitorProblem(resolveTrainerConfig({ label: 'purchase' }), loss, va), null);
});

test('an all-one-class validation label fails early for AUC / GAUC, not for logloss; monitor none and custom validation are not checked', async () => {
  const va = relabel(world.valid, { click: (y) => new Float32Array(y.length) });
  const loss = getModelSpec('dnn').loss('click');
  assert.match(monitorProblem(resolveTrainerConfig({}), loss, va) as string, new RegExp(`train: validation label 'click' is 0 on all ${va.size} rows, so validation AUC is undefined; use a validation split with both classes or monitor 'logloss'`));
  assert.match(monitorProblem(resolveTrainerConfig({ monitor: 'gauc' }), loss, va) as string, /validation GAUC is undefined/);
  assert.equal(monitorProblem(resolveTrainerConfig({ monitor: 'logloss' }), loss, va), null);
  assert.equal(monitorProblem(resolveTrainerConfig({ monitor: 'none', label: 'nope' }), loss, va), null);
  assert.equal(monitorProblem(resolveTrainerConfig({}), loss, world.valid), null);
  const spec = getModelSpec('dnn');
  const model = spec.create(new Rng(1), world.train.schema);
  const r = await train({ model, loss, train: world.train, valid: va, config: { ...quiet, label: 'nope' }, validate: () => 0.5 });
  assert.equal(r.history.length, 1, 'a custom validate function is the caller\'s business');
  // monitor 'logloss' (the message's advice) really trains on a one-class validation split.
  const l = await train({ model: spec.create(new Rng(2), world.train.schema), loss, train: world.train, valid: va, config: { ...quiet, monitor: 'logloss' } });
  assert.ok(Number.isFinite(l.history[0].valid) && l.history[0].valid > 0);
});
