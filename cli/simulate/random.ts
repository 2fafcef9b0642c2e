/**
 * Seeded pseudo-random numbers for the simulators. The same seed gives the same
 * sequence on every platform, because mulberry32 uses only 32-bit integer steps.
 */

/** Returns a small seeded PRNG (mulberry32) that yields numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes a seed and a stream number into one 32-bit seed, so that each run of a
 * simulation draws from its own sequence and adding a run leaves the others as
 * they were. Seeds beyond 32 bits keep their high bits through the second mix.
 */
export function streamSeed(seed: number, stream: number): number {
  const high = Math.floor(seed / 4294967296) >>> 0;
  let hash = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13) ^ high, 0xc2b2ae35);
  hash = Math.imul(hash ^ (hash >>> 16) ^ (stream >>> 0), 0x27d4eb2f);
  return (hash ^ (hash >>> 15)) >>> 0;
}

/** Picks a key of `weights` with probability proportional to its weight. */
export function pickWeighted<K extends string>(random: () => number, weights: Readonly<Partial<Record<K, number>>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

/**
 * Draws from a log-normal distribution with the given median and sigma (the
 * standard deviation of the logarithm), by the Box-Muller transform.
 */
export function logNormal(random: () => number, median: number, sigma: number): number {
  const u = 1 - random();
  const v = random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * normal);
}

/** Returns 16 lowercase hex digits, the shape of a failure signature. */
export function hex16(random: () => number): string {
  const part = () => Math.floor(random() * 4294967296).toString(16).padStart(8, '0');
  return part() + part();
}
