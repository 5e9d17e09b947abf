/**
 * Selection study, not a speed benchmark: chooses MRFF's private learning-rate scale (`privateLrScale`, the factor on
 * the engine's rate for each client's private user-FFN weights and user-field embeddings) on VALIDATION AUC, never
 * test (issue 16: the shipped 0.02 had been read off one seed's test AUC).
 * For each scale in the grid and each seed: one MRFF fit (MRFF_CONFIG with that scale) on the federated world at
 * mrff/main's evidence size (3 000 users, 5 + 5 held-out interactions per user, up to `--rounds` rounds with
 * mrff/main's early stopping), and the best validation AUC over its evaluated rounds. Prints one line per fit and the
 * per-scale mean; the scale with the highest mean validation AUC is the choice. Test AUC is printed only after the
 * choice, for the record.
 * `--adam kept` trains with the engine's privateAdam 'kept' (each client keeps its private Adam moments across rounds)
 * instead of the default 'fresh'. `--knob userEmbeddingLrScale` puts the grid on the private user-field embeddings
 * alone (the user FFNs keep MRFF_CONFIG's `privateLrScale`).
 * Usage: node --import tsx bench/select-mrff-private-lr.ts [--scales 0,0.02,0.1,0.3,1] [--seeds 1,2] [--rounds 60] [--adam fresh|kept] [--knob privateLrScale|userEmbeddingLrScale]
 */
import { generateFederatedWorld } from '../src/worlds/federated-world.ts';
import { FederatedWorldConfigSpec } from '../src/worlds/federated-world.ts';
import { MRFF_CONFIG } from '../src/models/mrff.ts';
import { MRFF_EVIDENCE } from '../src/pipelines/mrff/main.ts';
import { fitSeqMethod, withHoldout, type FitResult } from '../src/pipelines/mrff/common.ts';
import type { PipelineContext } from '../src/pipelines/pipeline.ts';
import { choiceArg, listArg } from './args.ts';

const scales = listArg('scales', [0, 0.02, 0.1, 0.3, 1]);
const seeds = listArg('seeds', [1, 2]);
const [rounds] = listArg('rounds', [60]);
const privateAdam = choiceArg('adam', ['fresh', 'kept'] as const);
const knob = choiceArg('knob', ['privateLrScale', 'userEmbeddingLrScale'] as const);
process.env.RECLAB_PROGRESS ??= '0';
const world = withHoldout(generateFederatedWorld(FederatedWorldConfigSpec.parse(MRFF_EVIDENCE.world)), MRFF_EVIDENCE.holdout);
// fitSeqMethod only logs through the context.
const ctx = { log: () => {} } as unknown as PipelineContext;
const training = { fed: { ...MRFF_EVIDENCE.fed, rounds, privateAdam }, central: { ...MRFF_EVIDENCE.central }, maxLen: 30 };
const bestValid = (f: FitResult) => Math.max(...f.curve.map((c) => c.auc));
const fits = new Map<number, FitResult[]>();
for (const scale of scales) {
  for (const seed of seeds) {
    const t0 = performance.now();
    const f = await fitSeqMethod({ label: `MRFF x${scale}`, kind: 'federated', model: { ...MRFF_CONFIG, [knob]: scale }, fed: {} }, world, training, seed, ctx);
    fits.set(scale, [...(fits.get(scale) ?? []), f]);
    console.log(`privateAdam ${privateAdam} ${knob} ${scale} seed ${seed}: best validation AUC ${bestValid(f).toFixed(4)} at round ${f.best}${f.stillImproving ? ' (still improving)' : ''}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = scales.map((s) => ({ s, valid: mean((fits.get(s) ?? []).map(bestValid)) }));
for (const r of rows) console.log(`privateAdam ${privateAdam} ${knob} ${r.s}: mean best validation AUC ${r.valid.toFixed(4)} over ${seeds.length} seeds`);
const chosen = rows.reduce((a, b) => (b.valid > a.valid ? b : a));
console.log(`chosen on validation: ${knob} ${chosen.s}`);
console.log(`for the record only (not used to choose), test AUC: ${scales.map((s) => `${s}: ${mean((fits.get(s) ?? []).map((f) => f.auc)).toFixed(4)}`).join(', ')}`);
