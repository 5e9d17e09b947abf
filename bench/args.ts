/**
 * Command-line arguments of the selection studies (bench/select-*.ts).
 */

/**
 * The numbers after `--<name>` as a comma-separated list, or `fallback` when the flag is absent; anything that is not a
 * number is an error naming the flag.
 * @example
 * const seeds = listArg('seeds', [1, 2]); // `--seeds 1,2,3` -> [1, 2, 3]
 */
export function listArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const raw = process.argv[i + 1] ?? '';
  const xs = raw.split(',').map(Number);
  if (!raw || xs.some((x) => !Number.isFinite(x))) throw new Error(`--${name}: expected comma-separated numbers, got '${raw}'`);
  return xs;
}
