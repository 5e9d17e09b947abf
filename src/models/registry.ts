/**
 * The model registry: every model reclab can train, by name. Pipelines and the CLI look models up here; the smoke
 * test enumerates it, so a model added here is tested automatically.
 */
import type { ModelSpec } from './model.ts';
import { dnnSpec } from './dnn.ts';
import { wideDeepSpec } from './wide-deep.ts';
import { deepfmSpec } from './deepfm.ts';
import { dinSpec } from './din.ts';
import { naiveCvrSpec } from './naive-cvr.ts';
import { sharedBottomSpec } from './shared-bottom.ts';
import { esmmSpec } from './esmm.ts';
import { escm2DrSpec, escm2IpsSpec } from './escm2.ts';
import { dcmtSpec } from './dcmt.ts';
import { chorusCvrSpec } from './chorus-cvr.ts';
import { qarmRankerSpec } from './qarm-ranker.ts';
import { liveBaselineSpecs } from './live-baselines.ts';
import { farmSpec } from './farm.ts';
import { crossDomainDnnSpec } from './cross-domain-dnn.ts';
import { conetSpec } from './conet.ts';
import { minetSpec } from './minet.ts';
import { pnnSpec } from './pnn.ts';
import { autoIntSpec } from './autoint.ts';
import { momentCrossSpec } from './moment-cross.ts';

const REGISTRY = new Map<string, ModelSpec<object>>();

/**
 * Adds a model spec; a name registered twice is an error.
 * @example
 * registerModel(myModelSpec);
 */
export function registerModel<C extends object>(spec: ModelSpec<C>): void {
  if (REGISTRY.has(spec.name)) throw new Error(`model '${spec.name}' is already registered`);
  REGISTRY.set(spec.name, spec as unknown as ModelSpec<object>);
}

/** Looks a model up; unknown names are errors listing the known ones. */
export function getModelSpec(name: string): ModelSpec<object> {
  const s = REGISTRY.get(name);
  if (!s) throw new Error(`unknown model '${name}' (registered: ${[...REGISTRY.keys()].join(', ')})`);
  return s;
}

/** All registered model specs, in registration order. */
export function listModels(): ModelSpec<object>[] {
  return [...REGISTRY.values()];
}

for (const spec of [dnnSpec, wideDeepSpec, deepfmSpec, dinSpec]) registerModel(spec);
for (const spec of [naiveCvrSpec, sharedBottomSpec, esmmSpec, escm2IpsSpec, escm2DrSpec, dcmtSpec, chorusCvrSpec]) registerModel(spec);
registerModel(pnnSpec);
registerModel(autoIntSpec);
for (const spec of [crossDomainDnnSpec, conetSpec, minetSpec]) registerModel(spec);
for (const spec of liveBaselineSpecs) registerModel(spec);
registerModel(farmSpec);
registerModel(momentCrossSpec);
registerModel(qarmRankerSpec);
