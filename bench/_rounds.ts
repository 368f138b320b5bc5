/**
 * Interleaved timing rounds for the query benchmarks (`fts.ts`, `geo.ts`,
 * `query.ts`): every runner of a group times its call in turn, round after
 * round, so drift on a shared machine hits every runner alike; then min and
 * median per runner, and ratios against the faster raw baseline.
 *
 * @module
 */

/** A named thing to time; what it answers may be checked (see `checksum`). */
export type Runner<T> = readonly [name: string, run: () => T | Promise<T>];

/** Runners timed against each other. */
export interface RoundGroup<T> {
  /** Named in the results and in a disagreement. */
  name: string;
  /** In the order they run (see {@link RoundsOptions.rotate}). */
  runners: readonly Runner<T>[];
  /** Calls per timing; the time kept is per call. Default 1. */
  calls?: number;
}

/** How {@link interleave} runs the rounds. */
export interface RoundsOptions<T> {
  /** Timed rounds. */
  rounds: number;
  /** One untimed round first. Default false. */
  warmUp?: boolean;
  /** Start each round one runner further on, so none always goes first. Default false. */
  rotate?: boolean;
  /**
   * What a call answered, as a string every runner of a group must agree
   * on (checked after each timing, outside it). Default: not checked.
   */
  checksum?: (result: T) => string;
}

/** Min and median of a list of times (or of ratios). */
export interface Stats {
  /** The least. */
  min: number;
  /** The middle one (the upper of the two middle ones). */
  median: number;
}

/** The times of one group. */
export interface GroupTimes {
  /** Milliseconds per call, by runner name. */
  stats: Map<string, Stats>;
  /** The checksum every runner agreed on, when `checksum` was given. */
  checksum: string | undefined;
}

/**
 * Runs `rounds` rounds (after a warm-up round when asked); in each, every
 * group in turn, and in it every runner in turn, timed over `calls` calls.
 * @param groups The groups of runners.
 * @param options Rounds, warm-up, rotation and checksum.
 * @returns The times by group name.
 * @throws {Error} When runners of a group answer different checksums.
 */
export async function interleave<T>(
  groups: readonly RoundGroup<T>[],
  options: RoundsOptions<T>,
): Promise<Map<string, GroupTimes>> {
  const times = new Map(
    groups.map((g) => [g.name, g.runners.map(() => [] as number[])]),
  );
  const sums = new Map<string, string>();
  const first = options.warmUp ? -1 : 0;
  for (let round = first; round < options.rounds; round++) {
    for (const group of groups) {
      const calls = group.calls ?? 1;
      const n = group.runners.length;
      for (let k = 0; k < n; k++) {
        const i = options.rotate ? (k + round - first) % n : k;
        const [name, run] = group.runners[i]!;
        let result!: T;
        const t0 = performance.now();
        for (let c = 0; c < calls; c++) result = await run();
        const ms = (performance.now() - t0) / calls;
        if (round >= 0) times.get(group.name)![i]!.push(ms);
        if (options.checksum === undefined) continue;
        const sum = options.checksum(result);
        const reference = sums.get(group.name) ?? sum;
        sums.set(group.name, reference);
        if (sum !== reference) {
          throw new Error(
            `Cannot compare ${name} on ${group.name}: it read other rows (${sum} vs ${reference})`,
          );
        }
      }
    }
  }
  return new Map(groups.map((g) => [g.name, {
    stats: new Map(
      g.runners.map(([name], i) => [name, stats(times.get(g.name)![i]!)]),
    ),
    checksum: sums.get(g.name),
  }]));
}

/**
 * Min and median of `values`.
 * @param values At least one.
 * @returns Their least and middle.
 */
export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
}

/**
 * The faster of some runners, min and median taken apart.
 * @param list Their stats.
 * @returns The least min and the least median.
 */
export function fastest(list: readonly Stats[]): Stats {
  return {
    min: Math.min(...list.map((s) => s.min)),
    median: Math.min(...list.map((s) => s.median)),
  };
}

/**
 * `ours` over `base`, as "1.23× / 1.45×" (min, median).
 * @param ours The numerator.
 * @param base The denominator.
 * @param separator Between min and median.
 * @returns The two ratios to two decimals.
 */
export function ratio(ours: Stats, base: Stats, separator = " / "): string {
  return `${(ours.min / base.min).toFixed(2)}×${separator}${
    (ours.median / base.median).toFixed(2)
  }×`;
}
