/**
 * The pipelines reclab ships, registered on import. Paper issues add theirs here.
 */
import { registerPipeline } from './pipeline.ts';
import { ctrBaselinesPipeline } from './baselines/ctr.ts';
import { chorusCvrMainPipeline } from './chorus-cvr/main.ts';
import { chorusCvrBiasSweepPipeline } from './chorus-cvr/bias-sweep.ts';
import { chorusCvrAblationPipeline } from './chorus-cvr/ablation.ts';

registerPipeline(ctrBaselinesPipeline);
registerPipeline(chorusCvrMainPipeline);
registerPipeline(chorusCvrBiasSweepPipeline);
registerPipeline(chorusCvrAblationPipeline);

export { getPipeline, listPipelines } from './pipeline.ts';
