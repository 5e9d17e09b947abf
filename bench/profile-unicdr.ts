/**
 * Profile: milliseconds per UniCDR training step (forward, loss, gradients, Adam) with each UniCDR+ extension alone
 * and all together, on unicdr/main's evidence world of dual-user-intra (3 000 users, 1 500 items per domain, dim 128,
 * batch 1024 split across the domains, 10 negatives, training context 10). The variants alternate over rounds in one
 * process; medians per variant and the ratio to plain UniCDR measured in the same run. Not a CI bench: it guides
 * where UniCDR+'s step time goes (issue 15).
 * Run: `node --import tsx bench/profile-unicdr.ts` (env RECLAB_PROFILE_ROUNDS, default 3; RECLAB_PROFILE_STEPS, 5).
 */
import { tf } from '../src/tf.ts';
import { Rng } from '../src/random.ts';
import { Optimizer } from '../src/train/optimizers.ts';
import { generateMultiDomainWorld } from '../src/worlds/multi-domain-world.ts';
import { prepareCdr, hostBatch, toCdrBatch } from '../src/models/cdr/common.ts';
import { createCdrModel } from '../src/models/cdr/index.ts';
import { cdrWorld } from '../src/pipelines/unicdr/main.ts';
import { sampleTrainingNegatives } from '../src/pipelines/unicdr/fit.ts';

const ROUNDS = Number(process.env.RECLAB_PROFILE_ROUNDS ?? 3);
const STEPS = Number(process.env.RECLAB_PROFILE_STEPS ?? 5);
const data = generateMultiDomainWorld({ ...cdrWorld('evidence', 'dual-user-intra'), seed: 1 });
const prep = prepareCdr(data, { maxLen: 10, testMaxLen: 50 });
const D = data.domains.length;
const NONE = { features: false, itemGraph: false, sequence: false, softContrastive: false, mmoe: false };
const variants: Record<string, Partial<typeof NONE>> = {
  UniCDR: {}, features: { features: true }, itemGraph: { itemGraph: true }, sequence: { sequence: true },
  softContrastive: { softContrastive: true }, mmoe: { mmoe: true },
  'UniCDR+ (all)': { features: true, itemGraph: true, sequence: true, softContrastive: true, mmoe: true },
};
const rng = new Rng(5);
const seen = prep.hist.map((h) => new Map([...h].map(([u, items]) => [u, new Set(items)])));
const per = Math.floor(1024 / D);
function batches() {
  return data.domains.map((dom, d) => {
    const idx = Array.from({ length: per }, () => rng.int(dom.train.users.length));
    const users = idx.map((i) => dom.train.users[i]);
    const pos = idx.map((i) => dom.train.items[i]);
    const items: number[] = [];
    pos.forEach((p, j) => { items.push(p); sampleTrainingNegatives(rng, dom.nItems, seen[d].get(users[j]) ?? new Set([p]), 10, items); });
    return hostBatch(prep, d, users, items, 11, { exclude: pos, maskRate: 0.1, rand: () => rng.uniform(), domainMask: users.map(() => false), longView: idx.map((i) => dom.longView[i] ?? 0) });
  });
}
const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, ext] of Object.entries(variants)) {
    const model = createCdrModel('unicdr', new Rng(1), prep, { dim: 128, extensions: { ...NONE, ...ext } });
    const vars = model.trainableVariables();
    const byTf = new Map([...vars].map(([k, v]) => [v.name, k]));
    const opt = new Optimizer(vars, { learningRate: 1e-3, weightDecay: 1e-5 });
    const step = () => {
      const hbs = batches();
      const loss = tf.tidy(() => {
        const bs = hbs.map((hb) => toCdrBatch(hb, D, 10));
        const { value, grads } = tf.variableGrads(() => model.loss(bs, { epoch: 20 }), [...vars.values()]);
        opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byTf.get(k) ?? k, g])));
        return value;
      });
      loss.dataSync();
      loss.dispose();
    };
    step(); // warm-up (kernels, graph tensors)
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) step();
    times[name].push((performance.now() - t0) / STEPS);
    opt.dispose();
    model.dispose();
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(times.UniCDR);
console.log('| variant | ms per step (median) | x UniCDR |\n|---|---|---|');
for (const [name, xs] of Object.entries(times)) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(median(xs) / base).toFixed(2)} |`);
