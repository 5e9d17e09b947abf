/**
 * Candidate pools for QARM's simulated online A/B test, split into new (cold-start) and old items as the paper's
 * online results are: each sampled user gets `itemsPerUser` candidate items drawn from one side, as rows with the
 * user's observed features, and the world's true click probability of each row (used only to sample outcomes).
 */
import { Dataset } from '../data/dataset.ts';
import { Rng } from '../random.ts';
import { multimodalWorldSchema, resolveMultimodalWorldConfig, type MultimodalWorld, type MultimodalWorldConfig } from '../worlds/multimodal-world.ts';

/**
 * A pool: rows (user, candidate item) as a Dataset (label `click` is 0, unobserved), the true click probability per
 * row and the user id per row (the A/B groups).
 * @example
 * const pool = candidatePool(world, { which: 'new', users: 400, itemsPerUser: 30, seed: 1 });
 * simulateAB({ groups: pool.groups, steps: [{ name: 'click', p: pool.p }] }, ...);
 */
export function candidatePool(world: MultimodalWorld, o: { which: 'new' | 'old'; users: number; itemsPerUser: number; seed: number }): { ds: Dataset; p: Float32Array; groups: Int32Array } {
  const c = resolveMultimodalWorldConfig(world.config as Partial<MultimodalWorldConfig>);
  const rng = new Rng(o.seed);
  const items = Array.from({ length: c.items }, (_, i) => i).filter((i) => (o.which === 'new') === (world.isNew[i] === 1));
  if (items.length === 0) throw new Error(`candidatePool: the world has no ${o.which} items (newItemShare ${c.newItemShare})`);
  const users = Array.from(rng.shuffle(Int32Array.from({ length: c.users }, (_, u) => u)).subarray(0, Math.min(o.users, c.users)));
  const rows = users.length * o.itemsPerUser;
  const T = c.historyLen;
  const col = {
    user_id: new Int32Array(rows), age_bucket: new Int32Array(rows), gender: new Int32Array(rows), item_id: new Int32Array(rows),
    hist_item_id: new Int32Array(rows * T), click: new Float32Array(rows), ts: new Float64Array(rows).fill(1),
  };
  const p = new Float32Array(rows);
  let r = 0;
  for (const u of users) {
    for (let k = 0; k < o.itemsPerUser; k++, r++) {
      const item = items[rng.int(items.length)];
      col.user_id[r] = u;
      col.age_bucket[r] = world.users.age[u];
      col.gender[r] = world.users.gender[u];
      col.item_id[r] = item + 1;
      col.hist_item_id.set(world.users.hist.subarray(u * T, (u + 1) * T), r * T);
      p[r] = world.clickProbability(u, item);
    }
  }
  return { ds: Dataset.fromColumns(multimodalWorldSchema(c), col, `candidate pool (${o.which} items)`), p, groups: col.user_id };
}
