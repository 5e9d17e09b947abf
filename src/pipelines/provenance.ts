/**
 * Provenance of a run: git commit, package versions, backend, machine. Written into every run's meta.json.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { backendInfo, type BackendInfo } from '../tf.ts';
import { compileEnabled } from '../train/compile.ts';

/** What produced a run. */
export interface Provenance {
  commit: string;
  /** True when the working tree had uncommitted changes. */
  dirty: boolean;
  node: string;
  packages: Record<string, string>;
  backend: BackendInfo;
  /** Whether training steps ran compiled (src/train/compile.ts; `RECLAB_COMPILE=0` turns them off). */
  compiledSteps: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number };
}

const require = createRequire(import.meta.url);
const PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-node', 'danfojs-node', 'plotly.js-dist-min', 'playwright-core', 'zod'];

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * Collects the provenance of the current process.
 * @example
 * collectProvenance().backend.name; // 'tensorflow'
 */
export function collectProvenance(): Provenance {
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    try {
      packages[p] = (require(`${p}/package.json`) as { version: string }).version;
    } catch {
      packages[p] = 'not installed';
    }
  }
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    commit: git(['rev-parse', 'HEAD']) ?? 'unknown (not a git checkout)',
    dirty: status !== null && status.length > 0,
    node: process.version,
    packages,
    backend: backendInfo(),
    compiledSteps: compileEnabled(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30) },
  };
}
