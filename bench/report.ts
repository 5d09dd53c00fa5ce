/*
 * The figures a benchmark run produces, the ratio and target arithmetic, and the markdown
 * table. Pure: no I/O, no clock.
 */

export type Unit = "req/s" | "MB/s" | "ms" | "µs" | "MB" | "logins/s" | "s/GB";

/** A measured number and what it counts. */
export interface Quantity {
  readonly value: number;
  readonly unit: Unit;
}

/** What a figure is compared with: a peer (the `proxy` package), the limit (direct), or a derived bound. */
export interface Reference extends Quantity {
  /** Shown before the number, e.g. "`proxy` pkg" or "direct". */
  readonly name: string;
}

export interface Target {
  /** `ratio`: applies to ours ÷ reference; `value`: to our own number, in its unit. */
  readonly subject: "ratio" | "value";
  readonly comparison: ">=" | "<=";
  readonly limit: number;
  /** What the limit was derived from, e.g. "1 AWS round trip + 10 ms"; shown before the limit. */
  readonly description?: string;
}

/** AWS calls per login, on each side. */
export interface AwsCalls {
  readonly proxy: number;
  readonly server: number;
}

interface FigureBase {
  /** Stable key for the JSON, e.g. "forward.minimal.vs-proxy-package". */
  readonly id: string;
  readonly label: string;
  /** One line shown under the table: how it was measured, or why it missed. */
  readonly note?: string;
}

export interface MeasuredFigure extends FigureBase {
  readonly kind: "measured";
  readonly ours: Quantity;
  readonly reference: Reference | undefined;
  /** ours ÷ reference; undefined without a reference (or with a zero one). */
  readonly ratio: number | undefined;
  readonly target: Target | undefined;
  /** undefined: reported only, no target. */
  readonly met: boolean | undefined;
}

export interface AwsCallsFigure extends FigureBase {
  readonly kind: "aws-calls";
  readonly ours: AwsCalls;
  readonly reference: (AwsCalls & { readonly name: string }) | undefined;
  /** Met when neither side makes more calls than this. */
  readonly target: AwsCalls | undefined;
  readonly met: boolean | undefined;
}

export interface UnmeasuredFigure extends FigureBase {
  /** `not-measured`: the thing does not exist yet; `failed`: the benchmark could not run. */
  readonly kind: "not-measured" | "failed";
  readonly reason: string;
}

export type Figure = MeasuredFigure | AwsCallsFigure | UnmeasuredFigure;

/**
 * A measured figure with its ratio to the reference and whether it meets the target.
 * A missing or zero reference leaves the ratio undefined, and a ratio target then counts as missed.
 *
 * @example
 * measuredFigure({ id: "x", label: "req/s", ours: { value: 120, unit: "req/s" },
 *   reference: { name: "peer", value: 100, unit: "req/s" },
 *   target: { subject: "ratio", comparison: ">=", limit: 1.2 } }) // ratio 1.2, met true
 */
export function measuredFigure(input: {
  readonly id: string;
  readonly label: string;
  readonly ours: Quantity;
  readonly reference?: Reference;
  readonly target?: Target;
  readonly note?: string;
}): MeasuredFigure {
  const { reference, target } = input;
  const ratio =
    reference === undefined || reference.value === 0 ? undefined : input.ours.value / reference.value;
  const subject = target?.subject === "ratio" ? ratio : input.ours.value;
  return Object.freeze({
    kind: "measured",
    id: input.id,
    label: input.label,
    ours: input.ours,
    reference,
    ratio,
    target,
    met: target === undefined ? undefined : subject !== undefined && meetsTarget(subject, target),
    ...(input.note === undefined ? {} : { note: input.note }),
  });
}

/** AWS calls per login against a target that neither side may exceed. */
export function awsCallsFigure(input: {
  readonly id: string;
  readonly label: string;
  readonly ours: AwsCalls;
  readonly reference?: AwsCalls & { readonly name: string };
  readonly target?: AwsCalls;
  readonly note?: string;
}): AwsCallsFigure {
  const { ours, target } = input;
  return Object.freeze({
    kind: "aws-calls",
    id: input.id,
    label: input.label,
    ours,
    reference: input.reference,
    target,
    met: target === undefined ? undefined : ours.proxy <= target.proxy && ours.server <= target.server,
    ...(input.note === undefined ? {} : { note: input.note }),
  });
}

/** `value` meets `target` (the limit itself counts as met). */
export function meetsTarget(value: number, target: Pick<Target, "comparison" | "limit">): boolean {
  return target.comparison === ">=" ? value >= target.limit : value <= target.limit;
}

/** How many figures have a target, and how many of those met it. */
export function countTargets(figures: readonly Figure[]): { readonly met: number; readonly missed: number } {
  let met = 0;
  let missed = 0;
  for (const figure of figures) {
    if (figure.kind === "measured" || figure.kind === "aws-calls") {
      if (figure.met === true) met += 1;
      else if (figure.met === false) missed += 1;
    }
  }
  return { met, missed };
}

const decimalsByUnit: Record<Unit, number> = {
  "req/s": 0,
  "MB/s": 0,
  ms: 2,
  µs: 0,
  MB: 1,
  "logins/s": 1,
  "s/GB": 2,
};

/**
 * A number in its unit, grouped by thousands.
 *
 * @example formatQuantity({ value: 12345.6, unit: "req/s" }) // "12,346 req/s"
 */
export function formatQuantity(quantity: Quantity): string {
  return `${formatNumber(quantity.value, decimalsByUnit[quantity.unit])} ${quantity.unit}`;
}

/**
 * The target as the table shows it.
 *
 * @example formatTarget({ subject: "ratio", comparison: ">=", limit: 1.2 }, "req/s") // "≥ 1.20"
 * @example formatTarget({ subject: "value", comparison: "<=", limit: 11.5, description: "1 AWS round trip + 10 ms" }, "ms")
 * // "≤ 1 AWS round trip + 10 ms = 11.5 ms"
 */
export function formatTarget(target: Target, unit: Unit): string {
  const sign = target.comparison === ">=" ? "≥" : "≤";
  const limit =
    target.subject === "ratio"
      ? formatNumber(target.limit, 2)
      : formatQuantity({ value: target.limit, unit });
  return target.description === undefined ? `${sign} ${limit}` : `${sign} ${target.description} = ${limit}`;
}

/** The columns of one figure, as text. */
export function describeFigure(figure: Figure): readonly [string, string, string, string, string, string] {
  const dash = "—";
  const metText = (met: boolean | undefined): string =>
    met === undefined ? "reported" : met ? "yes" : "**NO**";
  switch (figure.kind) {
    case "measured":
      return [
        figure.label,
        formatQuantity(figure.ours),
        figure.reference === undefined
          ? dash
          : `${figure.reference.name}: ${formatQuantity(figure.reference)}`,
        figure.ratio === undefined ? dash : formatNumber(figure.ratio, 2),
        figure.target === undefined ? dash : formatTarget(figure.target, figure.ours.unit),
        metText(figure.met),
      ];
    case "aws-calls":
      return [
        figure.label,
        formatCalls(figure.ours),
        figure.reference === undefined ? dash : `${figure.reference.name}: ${formatCalls(figure.reference)}`,
        dash,
        figure.target === undefined ? dash : `≤ ${formatCalls(figure.target)}`,
        metText(figure.met),
      ];
    case "not-measured":
      return [figure.label, figure.reason, dash, dash, dash, "not measured"];
    case "failed":
      return [figure.label, `could not run: ${figure.reason}`, dash, dash, dash, "**FAILED**"];
  }
}

/**
 * The figures as a markdown table (one row each), followed by their notes as a numbered list.
 *
 * @example formatFiguresTable([measuredFigure({ id: "a", label: "x", ours: { value: 1, unit: "ms" } })])
 */
export function formatFiguresTable(figures: readonly Figure[]): string {
  const lines = [
    "| figure | ours | reference | ratio | target | met |",
    "| --- | ---: | ---: | ---: | --- | --- |",
  ];
  const notes: string[] = [];
  for (const figure of figures) {
    const cells = [...describeFigure(figure)];
    if (figure.note !== undefined) {
      notes.push(figure.note);
      cells[0] = `${cells[0]} [${notes.length}]`;
    }
    lines.push(`| ${cells.map(escapeCell).join(" | ")} |`);
  }
  if (notes.length > 0) lines.push("", ...notes.map((note, index) => `[${index + 1}] ${note}`));
  return `${lines.join("\n")}\n`;
}

function formatCalls(calls: AwsCalls): string {
  return `${formatNumber(calls.proxy, 0)} + ${formatNumber(calls.server, 0)}`;
}

function formatNumber(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
