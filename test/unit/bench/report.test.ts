import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  awsCallsFigure,
  countTargets,
  describeFigure,
  formatFiguresTable,
  formatQuantity,
  formatTarget,
  measuredFigure,
  meetsTarget,
  type Figure,
} from "../../../bench/report.js";

const peer = (value: number) => ({ name: "peer", value, unit: "req/s" }) as const;
const atLeast = (limit: number) => ({ subject: "ratio", comparison: ">=", limit }) as const;

describe("measuredFigure", () => {
  it("divides ours by the reference", () => {
    const figure = measuredFigure({
      id: "a",
      label: "x",
      ours: { value: 150, unit: "req/s" },
      reference: peer(100),
    });
    assert.equal(figure.ratio, 1.5);
    assert.equal(figure.met, undefined);
  });

  describe("with a ratio target", () => {
    it("when the ratio reaches the limit exactly, counts it as met", () => {
      const figure = measuredFigure({
        id: "a",
        label: "x",
        ours: { value: 120, unit: "req/s" },
        reference: peer(100),
        target: atLeast(1.2),
      });
      assert.equal(figure.met, true);
    });

    it("when the ratio falls short, counts it as missed", () => {
      const figure = measuredFigure({
        id: "a",
        label: "x",
        ours: { value: 119, unit: "req/s" },
        reference: peer(100),
        target: atLeast(1.2),
      });
      assert.equal(figure.ratio, 1.19);
      assert.equal(figure.met, false);
    });

    it("when the reference is zero, leaves the ratio undefined and counts the target as missed", () => {
      const figure = measuredFigure({
        id: "a",
        label: "x",
        ours: { value: 5, unit: "req/s" },
        reference: peer(0),
        target: atLeast(1.2),
      });
      assert.equal(figure.ratio, undefined);
      assert.equal(figure.met, false);
    });
  });

  describe("with a value target", () => {
    it("compares our own number, not the ratio", () => {
      const figure = measuredFigure({
        id: "a",
        label: "x",
        ours: { value: 90, unit: "MB" },
        reference: { name: "peer", value: 30, unit: "MB" },
        target: { subject: "value", comparison: "<=", limit: 120 },
      });
      assert.equal(figure.ratio, 3);
      assert.equal(figure.met, true);
    });

    it("when the number is not a number (not measured), counts it as missed", () => {
      const figure = measuredFigure({
        id: "a",
        label: "x",
        ours: { value: NaN, unit: "ms" },
        target: { subject: "value", comparison: "<=", limit: 300 },
      });
      assert.equal(figure.met, false);
    });
  });
});

describe("meetsTarget", () => {
  it("≥ accepts the limit and above", () => {
    assert.deepEqual(
      [0.89, 0.9, 0.91].map((value) => meetsTarget(value, { comparison: ">=", limit: 0.9 })),
      [false, true, true],
    );
  });

  it("≤ accepts the limit and below", () => {
    assert.deepEqual(
      [299, 300, 301].map((value) => meetsTarget(value, { comparison: "<=", limit: 300 })),
      [true, true, false],
    );
  });
});

describe("awsCallsFigure", () => {
  it("is met when neither side exceeds its target", () => {
    const figure = awsCallsFigure({
      id: "c",
      label: "x",
      ours: { proxy: 1, server: 2 },
      target: { proxy: 1, server: 2 },
    });
    assert.equal(figure.met, true);
  });

  it("is missed when either side makes more calls", () => {
    const proxyOver = awsCallsFigure({
      id: "c",
      label: "x",
      ours: { proxy: 3, server: 2 },
      target: { proxy: 1, server: 2 },
    });
    const serverOver = awsCallsFigure({
      id: "c",
      label: "x",
      ours: { proxy: 0, server: 2 },
      target: { proxy: 0, server: 1 },
    });
    assert.deepEqual([proxyOver.met, serverOver.met], [false, false]);
  });
});

describe("countTargets", () => {
  it("counts met and missed targets, ignoring reported and unmeasured figures", () => {
    const figures: Figure[] = [
      measuredFigure({
        id: "1",
        label: "x",
        ours: { value: 2, unit: "req/s" },
        reference: peer(1),
        target: atLeast(1.2),
      }),
      measuredFigure({
        id: "2",
        label: "x",
        ours: { value: 1, unit: "req/s" },
        reference: peer(1),
        target: atLeast(1.2),
      }),
      measuredFigure({ id: "3", label: "x", ours: { value: 1, unit: "req/s" }, reference: peer(1) }),
      awsCallsFigure({ id: "4", label: "x", ours: { proxy: 0, server: 1 }, target: { proxy: 0, server: 1 } }),
      { kind: "not-measured", id: "5", label: "x", reason: "not measured: no gateway yet" },
      { kind: "failed", id: "6", label: "x", reason: "boom" },
    ];
    assert.deepEqual(countTargets(figures), { met: 2, missed: 1 });
  });
});

describe("formatQuantity", () => {
  it("groups thousands and rounds to the unit's precision", () => {
    assert.equal(formatQuantity({ value: 12345.6, unit: "req/s" }), "12,346 req/s");
    assert.equal(formatQuantity({ value: 0.345, unit: "ms" }), "0.35 ms");
    assert.equal(formatQuantity({ value: 89.27, unit: "MB" }), "89.3 MB");
    assert.equal(formatQuantity({ value: 1.234, unit: "s/GB" }), "1.23 s/GB");
    assert.equal(formatQuantity({ value: 43.51, unit: "logins/s" }), "43.5 logins/s");
  });

  it("shows a number that could not be computed as NaN", () => {
    assert.equal(formatQuantity({ value: NaN, unit: "µs" }), "NaN µs");
  });
});

describe("formatTarget", () => {
  it("shows a ratio target with two decimals", () => {
    assert.equal(formatTarget(atLeast(1.2), "req/s"), "≥ 1.20");
  });

  it("shows a value target in the figure's unit", () => {
    assert.equal(formatTarget({ subject: "value", comparison: "<=", limit: 120 }, "MB"), "≤ 120.0 MB");
  });

  it("shows what a derived limit was derived from", () => {
    assert.equal(
      formatTarget(
        { subject: "value", comparison: "<=", limit: 11.5, description: "1 AWS round trip + 10 ms" },
        "ms",
      ),
      "≤ 1 AWS round trip + 10 ms = 11.50 ms",
    );
  });
});

describe("describeFigure", () => {
  it("shows a measured figure's numbers, ratio, target and outcome", () => {
    const figure = measuredFigure({
      id: "a",
      label: "req/s",
      ours: { value: 1918, unit: "req/s" },
      reference: peer(3399),
      target: atLeast(1.2),
    });
    assert.deepEqual(describeFigure(figure), [
      "req/s",
      "1,918 req/s",
      "peer: 3,399 req/s",
      "0.56",
      "≥ 1.20",
      "**NO**",
    ]);
  });

  it("shows AWS calls as proxy + server", () => {
    const figure = awsCallsFigure({
      id: "c",
      label: "KMS",
      ours: { proxy: 1, server: 2 },
      reference: { name: "original", proxy: 3, server: 2 },
      target: { proxy: 1, server: 2 },
    });
    assert.deepEqual(describeFigure(figure), ["KMS", "1 + 2", "original: 3 + 2", "—", "≤ 1 + 2", "yes"]);
  });

  it("says a figure is not measured instead of showing a number", () => {
    assert.deepEqual(
      describeFigure({
        kind: "not-measured",
        id: "g",
        label: "Gateway",
        reason: "not measured: no gateway yet",
      }),
      ["Gateway", "not measured: no gateway yet", "—", "—", "—", "not measured"],
    );
  });
});

describe("formatFiguresTable", () => {
  it("renders a markdown table with one row per figure and numbered notes", () => {
    const table = formatFiguresTable([
      measuredFigure({
        id: "a",
        label: "one",
        ours: { value: 2, unit: "req/s" },
        reference: peer(1),
        note: "first note",
      }),
      { kind: "failed", id: "b", label: "two", reason: "proxy | exited" },
    ]);
    assert.equal(
      table,
      [
        "| figure | ours | reference | ratio | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        "| one [1] | 2 req/s | peer: 1 req/s | 2.00 | — | reported |",
        "| two | could not run: proxy \\| exited | — | — | — | **FAILED** |",
        "",
        "[1] first note",
        "",
      ].join("\n"),
    );
  });
});
