import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Figure, MeasuredFigure } from "../../../bench/report.js";
import {
  cpuSecondsPerGigabyte,
  transferFigures,
  type TransferSample,
  type TransferSamples,
} from "../../../bench/transfer-figures.js";

const sample = (megabytesPerSecond: number, cpuSeconds?: number): TransferSample => ({
  megabytesPerSecond,
  cpuSeconds,
});

const samples: TransferSamples = {
  upload: {
    direct: [sample(1000), sample(900), sample(1100)],
    ours: [sample(500, 0.2), sample(450, 0.2), sample(400, 0.2)],
    peer: [sample(300, 0.4), sample(250, 0.4), sample(350, 0.4)],
    socat: [sample(800, 0.1), sample(900, 0.1), sample(1000, 0.1)],
  },
  download: {
    direct: [sample(2000)],
    ours: [sample(1000, 0.1)],
    peer: [sample(500, 0.1)],
    socat: [sample(1600, 0.05)],
  },
};

function byId(figures: readonly Figure[], id: string): Figure {
  const figure = figures.find((f) => f.id === id);
  assert.ok(figure, `no figure ${id}`);
  return figure;
}

function measured(figures: readonly Figure[], id: string): MeasuredFigure {
  const figure = byId(figures, id);
  assert.equal(figure.kind, "measured");
  return figure;
}

describe("cpuSecondsPerGigabyte", () => {
  it("divides all the CPU time by all the bytes moved", () => {
    assert.equal(cpuSecondsPerGigabyte([sample(1, 0.5), sample(1, 0.3)], 200e6), 2);
  });

  it("when a sample has no CPU reading, is undefined rather than a partial sum", () => {
    assert.equal(cpuSecondsPerGigabyte([sample(1, 0.5), sample(1)], 200e6), undefined);
  });

  it("when there are no samples, is undefined", () => {
    assert.equal(cpuSecondsPerGigabyte([], 200e6), undefined);
  });
});

describe("transferFigures", () => {
  describe("when socat ran", () => {
    const figures = transferFigures({ megabytes: 200, samples, socatMissing: undefined });

    it("gives six rows per direction, upload first", () => {
      assert.deepEqual(
        figures.map((f) => f.id),
        ["upload", "download"].flatMap((d) => [
          `connect.${d}.vs-direct`,
          `connect.${d}.vs-peer`,
          `connect.${d}.vs-socat`,
          `connect.${d}.socat-vs-direct`,
          `connect.${d}.cpu-per-gb.vs-peer`,
          `connect.${d}.cpu-per-gb.vs-socat`,
        ]),
      );
    });

    it("compares the median rates, and holds ours ÷ direct to ≥ 0.90", () => {
      const figure = measured(figures, "connect.upload.vs-direct");
      assert.equal(figure.ours.value, 450);
      assert.equal(figure.reference?.value, 1000);
      assert.equal(figure.ratio, 0.45);
      assert.deepEqual(figure.target, { subject: "ratio", comparison: ">=", limit: 0.9 });
      assert.equal(figure.met, false);
    });

    it("holds ours ÷ socat to ≥ 0.95 and reports socat ÷ direct without a target", () => {
      const vsSocat = measured(figures, "connect.upload.vs-socat");
      assert.equal(vsSocat.ratio, 450 / 900);
      assert.deepEqual(vsSocat.target, { subject: "ratio", comparison: ">=", limit: 0.95 });
      assert.equal(vsSocat.met, false);
      const socatVsDirect = measured(figures, "connect.download.socat-vs-direct");
      assert.equal(socatVsDirect.ours.value, 1600);
      assert.equal(socatVsDirect.ratio, 0.8);
      assert.equal(socatVsDirect.met, undefined);
    });

    it("reports the relay CPU per GB, ours against the peer and socat", () => {
      const close = (actual: number | undefined, expected: number): void =>
        assert.ok(Math.abs((actual ?? NaN) - expected) < 1e-9, `${actual} is not ${expected}`);
      // 3 × 0.2 s for 3 × 200 MB: 1 s/GB; the peer's 3 × 0.4 s: 2 s/GB.
      const vsPeer = measured(figures, "connect.upload.cpu-per-gb.vs-peer");
      assert.equal(vsPeer.ours.unit, "s/GB");
      close(vsPeer.ours.value, 1);
      assert.equal(vsPeer.reference?.name, "`proxy` pkg");
      close(vsPeer.reference?.value, 2);
      const vsSocat = measured(figures, "connect.download.cpu-per-gb.vs-socat");
      close(vsSocat.ratio, 2);
    });
  });

  describe("when socat is not installed", () => {
    const reason = "not measured: socat not installed (apt-get install socat)";
    const figures = transferFigures({
      megabytes: 200,
      samples: {
        upload: { ...samples.upload, socat: undefined },
        download: { ...samples.download, socat: undefined },
      },
      socatMissing: reason,
    });

    it("says so in each socat row and still measures the others", () => {
      for (const id of ["vs-socat", "socat-vs-direct", "cpu-per-gb.vs-socat"]) {
        assert.deepEqual(byId(figures, `connect.download.${id}`), {
          kind: "not-measured",
          id: `connect.download.${id}`,
          label: byId(figures, `connect.download.${id}`).label,
          reason,
        });
      }
      assert.equal(measured(figures, "connect.download.vs-direct").ratio, 0.5);
    });
  });
});
