/**
 * The bridge pipelines back to back in ONE process, as `reclab reproduce --all` runs them (issue 13, item 9: em3/ablation
 * failed with `KeyError: 1` after qarm/main, qarm/ab and em3/main had used the bridge, and the console line ended in an
 * empty message). Cause: pythonia freed a proxy of the Python process em3/main closed in the process em3/ablation
 * started (ids restart at 1 per process), see `scopeFreesTo` in src/bridge/session.ts. Whether that happened depended
 * on when V8 collected the stale proxy, so these tests force a full GC every 100 ms: without the fix both fail every
 * time. Tiny configs, 3 seeds: wiring, not reproductions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pythonSession } from '../../src/bridge/session.ts';
import { listPipelines } from '../../src/pipelines/pipeline.ts';
import { runPipeline, type RunOptions } from '../../src/pipelines/runner.ts';
import '../../src/pipelines/registry.ts';

process.env.RECLAB_PROGRESS = '0';
setFlagsFromString('--expose-gc');
/** V8's full collection (exposed at run time, so the test needs no node flag). */
const gc = runInNewContext('gc') as () => void;
let stress: NodeJS.Timeout | undefined;
before(() => {
  stress = setInterval(gc, 100).unref();
});
const out = mkdtempSync(join(tmpdir(), 'reclab-bridge-b2b-'));
after(() => {
  clearInterval(stress);
  rmSync(out, { recursive: true, force: true });
});

/** The pipelines that use the Python bridge, in registry (`--all`) order. */
const BRIDGE_PIPELINES = ['qarm/main', 'qarm/ab', 'em3/main', 'em3/ablation'];

const RUN: Partial<RunOptions> = { quick: true, out, figureFormats: [], verbose: false };
const QARM = {
  world: { preset: 'tiny', overrides: {} },
  prepare: { maxPairs: 600, vqK: 8, vqPool: 2000, rqLevels: 2, rqK: 8, kmeansIters: 3, timeBoth: false, encoder: { dim: 16, outDim: 16, pretrainEpochs: 1, alignEpochs: 1 } },
  ranker: { embeddingDim: 4, codeDim: 4, mmDim: 4, hidden: [8] },
  trainer: { epochs: 1, batchSize: 1024 },
};
const EM3 = {
  world: { users: 120, items: 60, categories: 6, contentTopics: 6, impressionsPerUser: 8 },
  epochs: 1, pretrainEpochs: 1, batchSize: 512,
  ranker: { embeddingDim: 4, hidden: [8], cicWeight: 0.1, cicTau: 0.1 },
  tower: { dim: 8, queries: 2, heads: 2, loraRank: 2, layers: 1 },
};
const e2e = (label: string, queries: number, loraRank: number) => ({ label, content: 'e2e', cic: true, queries, loraRank });
/** Tiny config overrides and seed counts (qarm/ab has one `seed`, not a list). */
const CONFIGS: Record<string, { seeds: number; config: Record<string, unknown> }> = {
  'qarm/main': { seeds: 3, config: { ...QARM, variants: [{ label: 'Base (ID only)', vq: false, rq: false, mm: 'none' }, { label: '+ RQ codes', vq: false, rq: true, mm: 'none' }] } },
  // Another stage-A seed, so qarm/ab runs its own bridge calls instead of reusing qarm/main's (the run had it use the bridge).
  'qarm/ab': { seeds: 0, config: { ...QARM, prepare: { ...QARM.prepare, seed: 1 }, candidates: ['+ RQ codes'], ab: { users: 40, itemsPerUser: 10, requests: 4, candidates: 5, slots: 2, bootstrap: 20, level: 0.95, seed: 7 } } },
  'em3/main': { seeds: 3, config: { ...EM3, base: 'ID-only', variants: [{ label: 'ID-only', content: 'none', cic: false, queries: null, loraRank: null }, { label: '+ end-to-end content', content: 'e2e', cic: false, queries: null, loraRank: null }] } },
  'em3/ablation': { seeds: 3, config: { ...EM3, base: 'EM3 (n_q 2, r 2)', variants: [e2e('EM3 (n_q 2, r 2)', 2, 2), e2e('r 0', 2, 0)] } },
};

test('a session closed and reopened in one process keeps working while old proxies are collected', async () => {
  let py = pythonSession();
  const first = await py.call('reclab_bridge.runtime', 'ping');
  await py.close();
  py = pythonSession();
  const second = await py.call('reclab_bridge.runtime', 'ping');
  assert.notEqual(second.value.pid, first.value.pid, 'a fresh Python process');
  gc();
  await new Promise((r) => setTimeout(r, 1500)); // pythonia's free loop ticks every second
  const third = await py.call('reclab_bridge.runtime', 'ping');
  assert.equal(third.value.pid, second.value.pid);
  await py.close();
});

test(`the bridge pipelines back to back in --all order (${BRIDGE_PIPELINES.join(', ')}), 3 seeds, all finish`, async () => {
  const order = listPipelines().map((p) => p.name).filter((n) => BRIDGE_PIPELINES.includes(n));
  assert.deepEqual(order, BRIDGE_PIPELINES, 'registry order of the bridge pipelines');
  const failures: string[] = [];
  for (const name of order) {
    const { seeds, config } = CONFIGS[name];
    try {
      const run = await runPipeline(name, { ...RUN, seeds, config });
      const status = JSON.parse(readFileSync(join(run.dir, 'status.json'), 'utf8')) as { state: string };
      assert.equal(status.state, 'finished', `${name}: status.json`);
      assert.ok(existsSync(join(run.dir, 'FINISHED')), `${name}: FINISHED marker`);
      assert.ok(run.records.length > 0, `${name}: results recorded`);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, [], 'every bridge pipeline finished');
});
