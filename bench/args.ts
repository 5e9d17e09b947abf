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

/**
 * The word after `--<name>`, one of `choices` (the first is the default when the flag is absent); any other word is an
 * error naming the flag and the choices.
 * @example
 * const adam = choiceArg('adam', ['fresh', 'kept'] as const); // `--adam kept` -> 'kept'
 */
export function choiceArg<T extends string>(name: string, choices: readonly [T, ...T[]]): T {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return choices[0];
  const raw = process.argv[i + 1] ?? '';
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`--${name}: expected ${choices.map((c) => `'${c}'`).join(' or ')}, got '${raw}'`);
  return raw as T;
}
