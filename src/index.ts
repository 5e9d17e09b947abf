/**
 * reclab's public API: what a notebook or a script imports.
 * @example
 * // from a script in this repo (in a tslab notebook: require('tsx/cjs'); const reclab = require('../src/index.ts');)
 * import { generateCtrWorld, getModelSpec, train, predict, evaluateCtr, Rng } from './src/index.ts';
 * const world = generateCtrWorld({ users: 2000 });
 * const spec = getModelSpec('din');
 * const model = spec.create(new Rng(1), world.train.schema);
 * await train({ model, loss: spec.loss('click'), train: world.train, valid: world.valid });
 * evaluateCtr(world.test, 'click', predict(model, world.test));
 */
export { tf, backendInfo, type BackendInfo } from './tf.ts';
export { Rng } from './random.ts';
export * from './data/index.ts';
export * from './worlds/world.ts';
export * from './worlds/ctr-world.ts';
export * from './layers/module.ts';
export * from './layers/dense.ts';
export * from './layers/embedding.ts';
export * from './layers/norm.ts';
export * from './layers/attention.ts';
export * from './layers/experts.ts';
export * from './layers/ctr-inputs.ts';
export * from './models/model.ts';
export * from './models/registry.ts';
export * from './models/dnn.ts';
export * from './models/wide-deep.ts';
export * from './models/deepfm.ts';
export * from './models/din.ts';
export * from './train/losses.ts';
export * from './train/optimizers.ts';
export * from './train/trainer.ts';
export * from './train/evaluate.ts';
export * from './train/checkpoint.ts';
export * from './train/progress.ts';
export * from './metrics/index.ts';
export * from './plots/index.ts';
export * from './pipelines/pipeline.ts';
export { buildResultTable, tableToMarkdown, tableToCsv, type ResultTable, type MethodResult, type MetricColumn, type ReferenceRow, type Cell as ResultCell } from './pipelines/result-table.ts';
export * from './pipelines/runner.ts';
export * from './pipelines/provenance.ts';
export { listPipelines as registeredPipelines } from './pipelines/registry.ts';
export { doctor, type DoctorCheck } from './doctor.ts';
export * from './report/paper-numbers.ts';
export * from './report/compare.ts';
export * from './report/ab-tests.ts';
export * from './report/report.ts';
export { sanitizeSvg, figureFileStem } from './report/render.ts';
export * from './worlds/funnel-world.ts';
export * from './worlds/ab-simulator.ts';
export * from './layers/multitask.ts';
export * from './train/cvr-losses.ts';
export * from './train/evaluate-cvr.ts';
export * from './models/naive-cvr.ts';
export * from './models/shared-bottom.ts';
export * from './models/esmm.ts';
export * from './models/escm2.ts';
export * from './models/dcmt.ts';
export * from './models/chorus-cvr.ts';
