/**
 * Checkpoints on disk: a JSON header (epoch, history, names, shapes, offsets) and one binary file of float32 values.
 * Written to a temporary name and renamed, so a crash mid-write never leaves a half checkpoint under the real name.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StateDict } from '../layers/module.ts';

/** What a checkpoint holds besides tensors. */
export interface CheckpointMeta {
  /** Last completed epoch (0-based). */
  epoch: number;
  /** Anything JSON the trainer needs to resume (history, best metric, ...). */
  extra: Record<string, unknown>;
}

interface Header extends CheckpointMeta {
  format: 'reclab-checkpoint-1';
  groups: Record<string, Record<string, { shape: number[]; offset: number; length: number }>>;
}

/**
 * Saves groups of state dicts (e.g. `{ model, optimizer }`) to `dir`.
 * @example
 * saveCheckpoint('ckpt/', { model: m.stateDict(), optimizer: opt.stateDict() }, { epoch: 3, extra: {} });
 */
export function saveCheckpoint(dir: string, groups: Record<string, StateDict>, meta: CheckpointMeta): void {
  mkdirSync(dir, { recursive: true });
  const header: Header = { format: 'reclab-checkpoint-1', ...meta, groups: {} };
  let total = 0;
  for (const [g, sd] of Object.entries(groups)) {
    header.groups[g] = {};
    for (const [k, v] of Object.entries(sd)) {
      header.groups[g][k] = { shape: v.shape, offset: total, length: v.values.length };
      total += v.values.length;
    }
  }
  const buf = new Float32Array(total);
  for (const [g, sd] of Object.entries(groups)) for (const [k, v] of Object.entries(sd)) buf.set(v.values, header.groups[g][k].offset);
  writeFileSync(join(dir, 'tensors.bin.tmp'), Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  writeFileSync(join(dir, 'checkpoint.json.tmp'), JSON.stringify(header));
  renameSync(join(dir, 'tensors.bin.tmp'), join(dir, 'tensors.bin'));
  renameSync(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint.json')) && existsSync(join(dir, 'tensors.bin'));
}

/**
 * Loads a checkpoint written by `saveCheckpoint`; errors name the file and what is wrong.
 * @example
 * const { groups, meta } = loadCheckpoint('ckpt/'); model.loadStateDict(groups.model);
 */
export function loadCheckpoint(dir: string): { groups: Record<string, StateDict>; meta: CheckpointMeta } {
  const hp = join(dir, 'checkpoint.json');
  if (!hasCheckpoint(dir)) throw new Error(`${dir}: no checkpoint (expected checkpoint.json and tensors.bin)`);
  const header = JSON.parse(readFileSync(hp, 'utf8')) as Header;
  if (header.format !== 'reclab-checkpoint-1') throw new Error(`${hp}: unknown format '${String(header.format)}'`);
  const raw = readFileSync(join(dir, 'tensors.bin'));
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const groups: Record<string, StateDict> = {};
  for (const [g, entries] of Object.entries(header.groups)) {
    groups[g] = {};
    for (const [k, e] of Object.entries(entries)) {
      if (e.offset + e.length > all.length) throw new Error(`${hp}: tensor '${g}/${k}' lies beyond the end of tensors.bin`);
      groups[g][k] = { shape: e.shape, values: all.slice(e.offset, e.offset + e.length) };
    }
  }
  return { groups, meta: { epoch: header.epoch, extra: header.extra } };
}
