// A reporter for Node's test runner (`--test-reporter`) that writes one JSON line per outcome:
// {"outcome":"passed"|"failed"|"cancelled"|"skipped"|"todo","file","name","reason"?}.
// scripts/run-tests.mjs runs it beside the spec reporter and adds up the lines of both of its runs
// into the one summary line the suite ends with.
//
// What counts, and why it differs from the runner's own "ℹ pass/fail" totals:
// - A suite (describe) is not a test, except when it failed by itself (a before/after hook, or its
//   body threw): the runner reports its tests as passed or cancelled and counts nothing for the
//   suite, so a failed `after` hook ends a run "fail 0" with exit code 1. Here it is one failure.
// - A test or suite that failed only because a subtest did ("subtestsFailed") adds nothing: the
//   subtest's own failure is already counted.
// - A skipped suite is one skipped item with its reason: the runner reports none of its tests.
// - Cancelled (by a parent that ended or failed, or by a timeout) is its own outcome; it fails the run.
// - A test file that failed outside any test (an import that throws, an uncaught error after the
//   tests ended) is reported as a failed test named after the file, and counts as one failure.

/** failureType values (Node.js's test runner) for a test that did not get to finish. */
const cancelledTypes = new Set(["cancelledByParent", "testTimeoutFailure"]);

/** The first line of what went wrong, for the summary's list of failures. */
function describeError(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause);
  return text.split("\n", 1)[0]?.slice(0, 200) ?? "";
}

function classify(type, data) {
  const isSuite = data.details?.type === "suite";
  if (type === "test:pass") {
    if (data.skip !== undefined && data.skip !== false)
      return { outcome: "skipped", reason: data.skip === true ? "" : String(data.skip) };
    if (data.todo !== undefined && data.todo !== false)
      return { outcome: "todo", reason: data.todo === true ? "" : String(data.todo) };
    return isSuite ? undefined : { outcome: "passed" };
  }
  const error = data.details?.error;
  const failureType = error?.failureType;
  if (failureType === "subtestsFailed") return undefined;
  // A failing todo test does not fail the run (node:test's own rule).
  if (data.todo !== undefined && data.todo !== false)
    return { outcome: "todo", reason: data.todo === true ? "" : String(data.todo) };
  if (cancelledTypes.has(failureType)) return { outcome: "cancelled", reason: describeError(error) };
  return { outcome: "failed", reason: describeError(error) };
}

export default async function* testOutcomeReporter(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const result = classify(event.type, event.data);
    if (result !== undefined) {
      yield `${JSON.stringify({ ...result, file: event.data.file ?? "", name: event.data.name })}\n`;
    }
  }
}
