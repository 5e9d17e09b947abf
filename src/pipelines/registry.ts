/**
 * The pipelines reclab ships, registered on import. Paper issues add theirs here.
 */
import { registerPipeline } from './pipeline.ts';
import { ctrBaselinesPipeline } from './baselines/ctr.ts';

registerPipeline(ctrBaselinesPipeline);

export { getPipeline, listPipelines } from './pipeline.ts';
