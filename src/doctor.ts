/**
 * `reclab doctor`: checks each part of the environment a run may need and says how to fix what is missing. The
 * backend is checked in a child process (src/tf.ts picks it there), so doctor itself never loads libtensorflow and
 * its start-up lines (oneDNN, absl) are dropped from the child's stderr instead of reaching the terminal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from './tf.ts';
import { chromiumPath } from './plots/index.ts';

/** One check's outcome. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix it (empty when ok). */
  fix: string;
}

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** TensorFlow's native start-up lines (written before its log level is read): dropped from a child's stderr. */
export const TF_STARTUP_LINE = /^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR|I\d{4} [\d:. ]+\d+ (port|cpu_feature_guard)\.cc:\d+\] .*|To enable the following instructions: .*)$/;

/** The backend src/tf.ts picks, found in a child process; an error's message when it cannot load. */
function backendInChild(): { info?: BackendInfo; error?: string } {
  const code = "import('./src/tf.ts').then((m) => console.log(JSON.stringify(m.backendInfo())), (e) => { console.error(e.message); process.exit(3); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) {
    try {
      return { info: JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as BackendInfo };
    } catch {
      // fall through: report what the child printed
    }
  }
  const err = r.stderr.split('\n').filter((l) => l.trim() && !TF_STARTUP_LINE.test(l)).join(' ').trim();
  return { error: err || `exit ${r.status ?? r.signal}` };
}

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim();
  } catch {
    return null;
  }
}

/**
 * Runs every check.
 * @example
 * for (const c of doctor()) console.log(c.ok ? 'ok' : 'MISSING', c.name, c.detail, c.fix);
 */
export function doctor(): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const { info: b, error } = backendInChild();
  checks.push({
    name: 'backend',
    ok: b?.name === 'tensorflow',
    detail: b ? `${b.name} (${b.package} ${b.version}; ${b.reason})` : `no backend loads: ${error}`,
    fix: b?.name === 'tensorflow' ? '' : 'bash env/build-tfjs-node.sh (builds the native addon from the tensorflow-cpu wheel)',
  });
  const py = join(ROOT, '.venv/bin/python');
  const torch = existsSync(py) ? run(py, ['-c', 'import torch, numpy; print(torch.__version__, numpy.__version__)']) : null;
  checks.push({
    name: 'python env',
    ok: torch !== null,
    detail: torch ? `.venv: torch ${torch.split(' ')[0]}, numpy ${torch.split(' ')[1]}` : existsSync(py) ? '.venv exists but torch/numpy do not import' : '.venv is missing',
    fix: torch ? '' : 'npm run setup (creates .venv from env/requirements.txt with pip --retries 0)',
  });
  const kernel = join(ROOT, '.venv/share/jupyter/kernels/tslab/kernel.json');
  const kernelOk = existsSync(kernel) && existsSync(String((JSON.parse(readFileSync(kernel, 'utf8')) as { argv: string[] }).argv[0]));
  checks.push({
    name: 'tslab kernel',
    ok: kernelOk,
    detail: kernelOk ? `registered in .venv (${kernel})` : 'not registered in .venv (or its tslab binary moved)',
    fix: kernelOk ? '' : 'npm run setup (runs tslab install --python=.venv/bin/python --sys-prefix)',
  });
  const chromium = chromiumPath();
  const version = existsSync(chromium) ? run(chromium, ['--version']) : null;
  checks.push({
    name: 'chromium',
    ok: version !== null,
    detail: version ?? `${chromium} not found (HTML figures still work; PNG/SVG/PDF export does not)`,
    fix: version ? '' : 'apt-get install -y chromium, or set RECLAB_CHROMIUM to a Chromium binary',
  });
  return checks;
}
