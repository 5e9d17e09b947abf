/**
 * The workload of bench/jobs.ts's `ceiling` part: one process that times a fixed piece of work and prints
 * `{"seconds": s}` as its last line. The timed part leaves out start-up (module loading, the world), so two copies
 * started together overlap only in the timed part's cores.
 * - `train`: 3 epochs of DNN (baselines/ctr's first model, TensorFlow pools of a 2-worker process: src/pools.ts) on a quick ctr world of
 *   RECLAB_BENCH_USERS users (default 3000), after one warm-up epoch;
 * - `js`: a fixed integer loop in plain JavaScript (no TensorFlow, no memory traffic): the cores' own ceiling.
 * Run: node --import tsx bench/jobs-ceiling-work.ts train|js
 */
import '../src/tf.ts';
import '../src/models/registry.ts';
import { getModelSpec } from '../src/models/registry.ts';
import { train } from '../src/train/trainer.ts';
import { generateCtrWorld } from '../src/worlds/ctr-world.ts';
import { Rng } from '../src/random.ts';

const kind = process.argv[2];
if (kind !== 'train' && kind !== 'js') throw new Error(`bench/jobs-ceiling-work: expected 'train' or 'js', got '${kind}'`);

if (kind === 'js') {
  const t0 = process.hrtime.bigint();
  let x = 1;
  for (let i = 0; i < 4e8; i++) x = (x * 1103515245 + 12345) | 0;
  console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, check: x }));
} else {
  const users = Number(process.env.RECLAB_BENCH_USERS ?? 3000);
  const world = generateCtrWorld({ users, items: 1000, categories: 30, impressionsPerUser: 30 });
  const spec = getModelSpec('dnn');
  const model = spec.create(new Rng(1), world.train.schema, {});
  const fit = (epochs: number) => train({ model, loss: spec.loss('click'), train: world.train, valid: world.valid, config: { epochs, batchSize: 1024, seed: 1, label: 'click', progressLabel: '' } });
  await fit(1); // warm-up: kernels and allocations
  const t0 = process.hrtime.bigint();
  await fit(3);
  console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
}
