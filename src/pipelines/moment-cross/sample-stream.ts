/**
 * Moment&Cross's real-time sample stream (spec §3.1, Proposal) replayed from the live world's logs: each live
 * impression emits a FAST sample 30 s after it (the behaviours seen by then: click, early likes, comments, gifts,
 * follows) and, when it was clicked, a SLOW sample when the watch ends (final labels: long view, late behaviours).
 *
 * First-only label mask (our reading of the spec's term): a task's loss is carried by the first sample at which its
 * label is final, and by no later sample, so every (impression, task) pair counts exactly once with its final label:
 * - click: final at the fast sample (clicks happen in the first seconds) -> fast only;
 * - any other task: a positive seen by 30 s is final -> fast; otherwise (not yet happened) the label is final only at
 *   the watch's end -> slow sample (an unclicked impression has no slow sample: all its labels are final at 30 s).
 * Without the mask (ablation 'none'), every sample carries every task with the labels observed at its emit time: the
 * slow sample counts the click a second time and the fast sample's not-yet-happened behaviours are false negatives.
 * Moment label (L_moment): on fast samples, 1 when the room's crowd CTR in the impression's 30 s window exceeds the
 * trailing 5 min average (the crowd's future behaviour; the features only read earlier windows).
 */
import { Dataset } from '../../data/dataset.ts';
import type { Schema } from '../../data/schema.ts';
import { LIVE_TASKS, RT_KINDS, WINDOW_SECONDS, streamOfItem, type LiveWorldData } from '../../worlds/live-world.ts';

/** Seconds after the impression when the fast sample is emitted. */
export const FAST_SECONDS = 30;

/** The replayed stream: a dataset (world schema + mask_<task>, moment, mask_moment labels) and per-sample info. */
export interface SampleStream {
  ds: Dataset;
  /** Emit time (s) per sample; the dataset is sorted by it. */
  emitTime: Float64Array;
  /** 0 fast, 1 slow. */
  kind: Uint8Array;
  /** Row of the source part per sample. */
  impression: Int32Array;
}

/**
 * Labels added to the world's schema by the stream.
 * @example
 * streamLabels(); // ['click', ..., 'follow', 'mask_click', ..., 'mask_follow', 'moment', 'mask_moment']
 */
export function streamLabels(): string[] {
  return [...LIVE_TASKS, ...LIVE_TASKS.map((t) => `mask_${t}`), 'moment', 'mask_moment'];
}

/** Crowd-CTR moment label of an impression (null when the stream has no earlier window to compare with). */
function momentLabel(world: LiveWorldData, itemId: number, t: number): number | null {
  const r = world.rooms;
  const s = streamOfItem(world, itemId);
  if (s < 0) throw new Error(`sample stream: item ${itemId} is not a live stream`);
  const w = Math.floor((t - r.start[s]) / WINDOW_SECONDS);
  if (w < 1 || w >= r.windows[s]) return null;
  const K = RT_KINDS.length;
  const at = (v: number, k: number) => r.counts[(r.offset[s] + v) * K + k];
  let imp = 0;
  let clicks = 0;
  for (let v = Math.max(0, w - 10); v < w; v++) {
    imp += at(v, 0);
    clicks += at(v, 1);
  }
  const now = at(w, 1) / Math.max(at(w, 0), 1);
  return now > clicks / Math.max(imp, 1) ? 1 : 0;
}

/**
 * Builds the sample stream of one live part.
 * @param mask 'first-only' (default) or 'none' (the ablation without the label mask).
 * @example
 * const stream = buildSampleStream(world, 'train'); stream.ds.size; // ~1.1 x world.train.size
 */
export function buildSampleStream(world: LiveWorldData, part: 'train' | 'valid' | 'test', mask: 'first-only' | 'none' = 'first-only'): SampleStream {
  const src = world[part];
  const logs = world.logs[part];
  const items = src.column('item_id');
  const ts = src.column('ts');
  const emit: number[] = [];
  const kind: number[] = [];
  const imp: number[] = [];
  for (let r = 0; r < src.size; r++) {
    emit.push(ts[r] + FAST_SECONDS);
    kind.push(0);
    imp.push(r);
    if (src.label('click')[r] === 1) {
      emit.push(ts[r] + Math.max(FAST_SECONDS, logs.watchSeconds[r]) + 1);
      kind.push(1);
      imp.push(r);
    }
  }
  const order = Int32Array.from(emit.keys()).sort((a, b) => emit[a] - emit[b] || a - b);
  const n = order.length;
  const rows = Int32Array.from(order, (j) => imp[j]);
  const base = src.take(rows);
  const labels: Record<string, Float32Array> = Object.fromEntries(streamLabels().map((l) => [l, new Float32Array(n)]));
  for (let i = 0; i < n; i++) {
    const j = order[i];
    const r = imp[j];
    const slow = kind[j] === 1;
    const clicked = src.label('click')[r] === 1;
    for (const t of LIVE_TASKS) {
      const final = src.label(t)[r];
      const seenFast = logs.delay[t][r] >= 0 && logs.delay[t][r] <= FAST_SECONDS ? 1 : 0;
      const finalAtFast = t === 'click' || seenFast === 1 || !clicked;
      labels[t][i] = slow ? final : seenFast;
      if (mask === 'none') labels[`mask_${t}`][i] = 1;
      else labels[`mask_${t}`][i] = slow ? (finalAtFast ? 0 : 1) : finalAtFast ? 1 : 0;
    }
    if (!slow) {
      const m = momentLabel(world, items[r], ts[r]);
      labels.moment[i] = m ?? 0;
      labels.mask_moment[i] = m === null ? 0 : 1;
    }
  }
  const schema: Schema = { ...src.schema, labels: streamLabels() };
  const columns: Record<string, Int32Array | Float32Array | Float64Array> = { ...labels };
  for (const f of src.schema.features) columns[f.name] = base.column(f.name);
  if (src.schema.timestamp) columns[src.schema.timestamp] = Float64Array.from(order, (j) => emit[j]);
  return {
    ds: Dataset.fromColumns(schema, columns, `moment-cross sample stream (${part})`),
    emitTime: Float64Array.from(order, (j) => emit[j]),
    kind: Uint8Array.from(order, (j) => kind[j]),
    impression: rows,
  };
}
