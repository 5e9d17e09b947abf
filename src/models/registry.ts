/**
 * The model registry: every model reclab can train, by name. Pipelines and the CLI look models up here; the smoke
 * test enumerates it, so a model added here is tested automatically.
 */
import { z } from 'zod';
import type { ModelSpec } from './model.ts';
import { SASRecConfigSpec } from './sasrec.ts';
import { FedPAConfigSpec } from './fedpa.ts';
import { UniCdrConfigSpec } from './cdr/unicdr.ts';
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

/** Key names whose integer default is a size (a positive integer): embeddingDim, hidden, heads, layers, gsuK, ... */
const SIZE_KEY = /(dim|hidden|heads|layers|experts|levels|rank|k|len|size|queries)$/i;

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A zod schema derived from a model's defaults, so a config is type-checked before anything trains: numbers stay
 * finite numbers (positive integers for size keys such as `embeddingDim`, `heads` or the layer widths of `hidden`),
 * booleans booleans, strings strings, arrays keep their element type, nested objects their keys' types (nested
 * keys absent from the defaults pass: e.g. `frequency: {}` is open). The top level is strict. `null` and empty
 * defaults accept anything (the model checks them itself).
 * @example
 * schemaFromDefaults({ embeddingDim: 8, hidden: [200, 80] }).safeParse({ hidden: 'big' }).success; // false
 */
export function schemaFromDefaults(defaults: Record<string, unknown>): z.ZodTypeAny {
  const of = (value: unknown, key: string): z.ZodTypeAny => {
    if (typeof value === 'boolean') return z.boolean();
    if (typeof value === 'string') return z.string();
    if (typeof value === 'number') return Number.isInteger(value) && value > 0 && SIZE_KEY.test(key) ? z.number().int().positive() : z.number().finite();
    if (Array.isArray(value)) return value.length ? z.array(of(value[0], key)) : z.array(z.unknown());
    if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (!entries.length) return z.record(z.string(), z.unknown());
      return z.object(Object.fromEntries(entries.map(([k, v]) => [k, of(v, k)]))).partial().passthrough();
    }
    return z.unknown();
  };
  return z.strictObject(Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, of(v, k)]))).partial();
}

/** One model as `reclab list` shows it, with the schema its config is validated by. */
export interface ModelEntry {
  name: string;
  description: string;
  /** What it trains on: the ModelSpec task, or 'federated' / 'cross-domain-ranking' for models outside the ModelSpec registry. */
  family: string;
  /** Validates a partial config (unknown keys and wrong types are errors). */
  schema: z.ZodTypeAny;
}

const cdrBaseline = z.strictObject({ dim: z.number().int().positive() }).partial();
/** Models trained outside the ModelSpec registry (federated and cross-domain ranking), with their config schemas. */
const OTHER_MODELS: ModelEntry[] = [
  { name: 'sasrec', family: 'federated', description: 'SASRec (Kang & McAuley 2018): self-attentive sequential recommender; centralised, local-only, FedAvg or FedProx', schema: SASRecConfigSpec.partial() },
  { name: 'mrff', family: 'federated', description: 'MRFF: SASRec with group-level FFNs routed per user and a balance loss, private user FFNs (mrff/*)', schema: SASRecConfigSpec.partial() },
  { name: 'fedpa', family: 'federated', description: 'FedPA: a federated foundation model adapted by user and group LoRA adapters (fedpa/*)', schema: FedPAConfigSpec.partial() },
  { name: 'bpr-mf', family: 'cross-domain-ranking', description: 'BPR-MF per domain (unicdr/* baseline)', schema: cdrBaseline },
  { name: 'shared-emb', family: 'cross-domain-ranking', description: 'BPR-MF with user embeddings shared across domains (unicdr/* baseline)', schema: cdrBaseline },
  { name: 'emcdr', family: 'cross-domain-ranking', description: 'EMCDR (Man et al. 2017): source-to-target embedding mapping for cold-start users (unicdr/* baseline)', schema: cdrBaseline },
  { name: 'ptupcdr', family: 'cross-domain-ranking', description: 'PTUPCDR (Zhu et al. 2022): personalised bridges from the source history (unicdr/* baseline)', schema: cdrBaseline },
  { name: 'unicdr', family: 'cross-domain-ranking', description: 'UniCDR / UniCDR+ (Cao et al. 2023): domain-shared and -specific user embeddings, masked aggregators; + five extensions', schema: UniCdrConfigSpec.partial() },
];

/**
 * Every model reclab trains — the ModelSpec registry (schemas derived from the defaults) and the federated and
 * cross-domain ranking models (their own strict schemas) — in the order `reclab list` prints them.
 * @example
 * listModelEntries().map((m) => m.name); // ['dnn', ..., 'sasrec', 'mrff', 'fedpa', 'bpr-mf', ..., 'unicdr']
 */
export function listModelEntries(): ModelEntry[] {
  return [...listModels().map((s) => ({ name: s.name, description: s.description, family: s.task, schema: schemaFromDefaults(s.defaults as Record<string, unknown>) })), ...OTHER_MODELS];
}

/** The config schema of model `name` (an error listing the known models when it is unknown). */
export function modelConfigSchema(name: string): z.ZodTypeAny {
  const entry = listModelEntries().find((m) => m.name === name);
  if (!entry) throw new Error(`unknown model '${name}' (known: ${listModelEntries().map((m) => m.name).join(', ')})`);
  return entry.schema;
}

/**
 * Validates a (partial) config of model `name`; the error names where the config sits (`where`), the key, what was
 * expected and what was given.
 * @example
 * checkModelConfig('dnn', { hidden: 'big' }, 'models.0.config');
 * // Error: models.0.config.hidden (model 'dnn'): expected array, received string ("big")
 */
export function checkModelConfig(name: string, config: unknown, where: string): void {
  const parsed = modelConfigSchema(name).safeParse(config);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const path = [where, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  let given: unknown = config;
  for (const k of issue.path) given = given && typeof given === 'object' ? (given as Record<string | number, unknown>)[k] : undefined;
  const what = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${Object.keys(((modelConfigSchema(name) as z.ZodObject<z.ZodRawShape>).shape ?? {}) as object).join(', ')})` : `${issue.message.replace(/^Expected/, 'expected')}${issue.code === 'invalid_type' || given !== undefined ? ` (given: ${describe(given)})` : ''}`;
  throw new Error(`${path || '(root)'} (model '${name}'): ${what}`);
}

/** The model kinds a pipeline's federated `model` configs are validated against, by pipeline prefix. */
const FEDERATED_MODEL_OF: Record<string, string> = { 'mrff/': 'sasrec', 'fedpa/': 'fedpa' };

/**
 * Walks a pipeline's parsed config and validates every model config in it before anything trains:
 * `{ label, model: '<name>', config: {...} }` entries (an unknown model name is an error), objects keyed by a model
 * name (`modelSizes: { 'live-dnn': {...} }`), and for the federated pipelines (mrff/*, fedpa/*) the `model` objects.
 * Then the method names the config refers to — `base`, `proposed`, `gainMethod`, `control` / `treatment` strings and
 * a `candidates` list — must be labels of its methods (when it lists labelled methods). Errors name the pipeline,
 * the config path, and the known names.
 * @example
 * checkPipelineModels('baselines/ctr', config); // throws "baselines/ctr config: base 'DNNN' is not one of its methods (DNN, Wide&Deep, DeepFM, DIN)"
 */
export function checkPipelineModels(pipeline: string, config: unknown): void {
  const known = new Set(listModelEntries().map((m) => m.name));
  const fedModel = Object.entries(FEDERATED_MODEL_OF).find(([prefix]) => pipeline.startsWith(prefix))?.[1];
  const labels = new Set<string>();
  const fail = (where: string, e: unknown) => {
    throw new Error(`${pipeline} config: ${(e as Error).message.startsWith(where) ? (e as Error).message : `${where}: ${(e as Error).message}`}`);
  };
  const walk = (node: unknown, path: string[]) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, [...path, String(i)]));
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    const where = path.join('.');
    if (typeof obj.label === 'string' && path.length) labels.add(obj.label);
    if (typeof obj.model === 'string' && obj.config && typeof obj.config === 'object') {
      if (!known.has(obj.model)) fail(`${where}.model`, new Error(`unknown model '${obj.model}' (known: ${[...known].join(', ')})`));
      try {
        checkModelConfig(obj.model, obj.config, `${where}.config`);
      } catch (e) {
        fail(`${where}.config`, e);
      }
    }
    if (fedModel && obj.model && typeof obj.model === 'object' && !Array.isArray(obj.model)) {
      try {
        checkModelConfig(fedModel, obj.model, [...path, 'model'].join('.'));
      } catch (e) {
        fail([...path, 'model'].join('.'), e);
      }
    }
    for (const [k, v] of Object.entries(obj)) {
      if (known.has(k) && v && typeof v === 'object' && !Array.isArray(v) && path.length && /sizes$/i.test(path[path.length - 1])) {
        try {
          checkModelConfig(k, v, [...path, k].join('.'));
        } catch (e) {
          fail([...path, k].join('.'), e);
        }
      }
      walk(v, [...path, k]);
    }
  };
  walk(config, []);
  if (!labels.size || !config || typeof config !== 'object') return;
  const top = config as Record<string, unknown>;
  const named: Array<[string, unknown]> = [['base', top.base], ['proposed', top.proposed], ['gainMethod', top.gainMethod], ['candidates', top.candidates]];
  const ab = top.ab as Record<string, unknown> | undefined;
  if (ab && typeof ab === 'object') named.push(['ab.control', ab.control], ['ab.treatment', ab.treatment]);
  for (const [key, value] of named) {
    const names = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((x) => typeof x === 'string') ? (value as string[]) : [];
    for (const n of names) if (!labels.has(n)) throw new Error(`${pipeline} config: ${key} '${n}' is not one of its methods (${[...labels].join(', ')})`);
  }
}
