import fc from "fast-check";

/*
 * Shared settings and generators for the property-based tests of the parsers. Runs are bounded
 * so the suite stays fast; on a failure fast-check's error names the seed and the shrunk
 * counterexample's path, and `FC_SEED=<seed> FC_PATH=<path>` replays exactly that run.
 */

/** fc.assert parameters: a bounded number of runs, and the seed of a failure to replay when given. */
export function propertyRuns(numRuns = 300): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const path = process.env.FC_PATH;
  return {
    numRuns,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
  };
}

/** Characters that break parsers: quotes, separators, controls, percent signs, non-ASCII. */
const awkwardCharacters = [
  ..."\"\\,;=:/?#@%.~!$&'()*+[]{}<> \t\r\n\0\x7f",
  "é",
  "\u2028",
  "\ud83d\ude00",
  "\ufeff",
  "%2F",
  "%2e",
  "%5C",
  "%00",
  "%25",
  "..",
];

/**
 * Arbitrary strings weighted towards what breaks parsers: any UTF-16 (lone surrogates too),
 * printable ASCII, and mixes of the awkward characters above with letters and digits.
 */
export function hostileString(maxLength = 80): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ maxLength }),
    fc.string({
      unit: fc.oneof(fc.constantFrom(...awkwardCharacters), fc.constantFrom(..."aZ09-_/")),
      maxLength,
    }),
  );
}

/**
 * Runs `parse` on `input` and returns "ok" or the thrown error's code when it is an instance of
 * `errorClass`; anything else thrown (a TypeError, a RangeError, a URIError) fails the property.
 */
export function parsesOrRefuses<E extends Error & { code: string }>(
  parse: () => unknown,
  errorClass: abstract new (...args: never[]) => E,
  codes: readonly string[],
): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof errorClass)) throw new Error(`threw something else: ${String(error)}`);
    if (!codes.includes(error.code)) throw new Error(`unexpected code ${error.code}`);
    if (error.message.includes("\n")) throw new Error(`message is not one line: ${error.message}`);
  }
}
