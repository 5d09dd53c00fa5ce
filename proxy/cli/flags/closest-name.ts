/**
 * The known name closest to a misspelt one, for "did you mean …?", or undefined when none is
 * close: at most one edit for names up to 4 characters, two up to 8, three beyond (an edit is a
 * letter added, dropped, changed, or two neighbours swapped), ignoring case. A known name that
 * starts with what was typed (`--upstream-time`) counts as close too.
 *
 * @example findClosestName("bnd", ["bind", "host"]) // "bind"
 * @example findClosestName("socks", ["socks-proxy", "host"]) // "socks-proxy"
 * @example findClosestName("bogus", ["bind", "host"]) // undefined
 */
export function findClosestName(typed: string, known: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const allowed = lower.length <= 4 ? 1 : lower.length <= 8 ? 2 : 3;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const candidate = name.toLowerCase();
    const distance =
      lower.length >= 3 && candidate.startsWith(lower) ? 0.5 : measureEditDistance(lower, candidate);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring). */
function measureEditDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      }
      (rows[i] as number[])[j] = distance;
    }
  }
  return at(a.length, b.length);
}
