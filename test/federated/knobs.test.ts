/**
 * The federated world's mechanism knobs, probed on the ground truth: with groupStrength 0 (mrff/mechanism) the true
 * group has no effect on click probabilities and with the default 1 it has a large one; with personalWeight 0
 * (fedpa/mechanism) all users of a group click an item with the same probability and with the default 0.8 they do not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/random.ts';
import { generateFederatedWorld } from '../../src/worlds/federated-world.ts';
import { groupStrengthWorld } from '../../src/pipelines/mrff/mechanism.ts';
import type { FederatedData } from '../../src/federated/types.ts';

const SMALL = { users: 400, items: 60, minLen: 20, maxLen: 30, seed: 5 };

/** Mean over items of the between-group variance of the item's mean true click probability, for a group labelling. */
function betweenGroup(data: FederatedData, group: Int32Array, groups: number): number {
  const sum = new Float64Array(data.items * groups);
  const cnt = new Float64Array(data.items * groups);
  data.sequences.forEach((s, u) => s.items.forEach((i, j) => {
    sum[i * groups + group[u]] += (data.truth as NonNullable<FederatedData['truth']>).prob[u][j];
    cnt[i * groups + group[u]] += 1;
  }));
  let tot = 0;
  let n = 0;
  for (let i = 0; i < data.items; i++) {
    const means: number[] = [];
    for (let g = 0; g < groups; g++) if (cnt[i * groups + g] >= 5) means.push(sum[i * groups + g] / cnt[i * groups + g]);
    if (means.length < 2) continue;
    const m = means.reduce((a, b) => a + b, 0) / means.length;
    tot += means.reduce((a, b) => a + (b - m) ** 2, 0) / (means.length - 1);
    n++;
  }
  return tot / n;
}

/** Between-group variance with the true groups over the same with the groups shuffled across users (1 = no group effect). */
function groupEffect(data: FederatedData): number {
  const truth = (data.truth as NonNullable<FederatedData['truth']>).group;
  const shuffled = Int32Array.from(truth);
  const rng = new Rng(3);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return betweenGroup(data, truth, 4) / betweenGroup(data, shuffled, 4);
}

test('groupStrength: at 0 the true group leaves click probabilities unchanged, at the default 1 it moves them', () => {
  const absent = groupEffect(generateFederatedWorld(groupStrengthWorld(SMALL, 0)));
  const present = groupEffect(generateFederatedWorld(groupStrengthWorld(SMALL, 1)));
  assert.ok(absent < 1.5, `groupStrength 0: group effect ratio ${absent.toFixed(2)} (expected about 1)`);
  assert.ok(present > 3, `groupStrength 1: group effect ratio ${present.toFixed(2)} (expected well above 1)`);
  assert.deepEqual(groupStrengthWorld({}, 2), { groupWeight: 2, groupTransform: 1 }, 'the transform is capped at 1');
});

test('personalWeight: at 0 users of one group click an item with one probability, at the default 0.8 they differ', () => {
  const spread = (w: number) => {
    const d = generateFederatedWorld({ ...SMALL, personalWeight: w });
    const truth = d.truth as NonNullable<FederatedData['truth']>;
    const byCell = new Map<number, number[]>();
    d.sequences.forEach((s, u) => s.items.forEach((i, j) => {
      const key = truth.group[u] * d.items + i;
      const a = byCell.get(key) ?? [];
      a.push(truth.prob[u][j]);
      byCell.set(key, a);
    }));
    let most = 0;
    for (const a of byCell.values()) most = Math.max(most, Math.max(...a) - Math.min(...a));
    return most;
  };
  assert.ok(spread(0) < 1e-6, `personalWeight 0: largest within-(group, item) spread ${spread(0)}`);
  assert.ok(spread(0.8) > 0.2, `personalWeight 0.8: largest within-(group, item) spread ${spread(0.8)}`);
});
