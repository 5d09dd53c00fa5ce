import { measuredFigure, type Figure } from "./report.js";
import { median } from "./stats.js";

/*
 * The CONNECT benchmark's rows, from its transfer samples. Pure.
 */

export const directions = ["upload", "download"] as const;
export type Direction = (typeof directions)[number];

/**
 * Where a transfer goes: straight to the endpoint (`direct`), through a CONNECT tunnel of our
 * proxy or of the `proxy` package (`peer`), or through socat, a plain TCP relay written in C
 * (no CONNECT: the client connects to it, it connects to the endpoint).
 */
export type RouteName = "direct" | "ours" | "peer" | "socat";

/** One transfer: its rate, and the CPU time the relay in the middle used (none for direct). */
export interface TransferSample {
  /** 10^6 bytes per second, first byte to last. */
  readonly megabytesPerSecond: number;
  readonly cpuSeconds: number | undefined;
}

export type TransferSamples = Readonly<
  Record<Direction, Readonly<Partial<Record<RouteName, readonly TransferSample[]>>>>
>;

export interface TransferFigureInput {
  readonly megabytes: number;
  readonly samples: TransferSamples;
  /** Why socat has no samples (e.g. "not measured: socat not installed (apt-get install socat)"); undefined when it has. */
  readonly socatMissing: string | undefined;
}

const PEER = "`proxy` pkg";
const SOCAT = "socat relay";

/**
 * CPU seconds a relay spent per GB (10^9 bytes) it moved, over all `samples` of `bytes` each;
 * undefined when a sample has no CPU reading or there are none.
 *
 * @example cpuSecondsPerGigabyte([{ megabytesPerSecond: 100, cpuSeconds: 0.5 }], 200e6) // 2.5
 */
export function cpuSecondsPerGigabyte(samples: readonly TransferSample[], bytes: number): number | undefined {
  if (samples.length === 0 || bytes <= 0) return undefined;
  let cpu = 0;
  for (const sample of samples) {
    if (sample.cpuSeconds === undefined) return undefined;
    cpu += sample.cpuSeconds;
  }
  return cpu / ((samples.length * bytes) / 1e9);
}

/**
 * Per direction: MB/s ours ÷ direct (target ≥ 0.90), ÷ the peer, ÷ socat, socat ÷ direct (the
 * limit of a user-space relay), and the relay CPU per GB, ours ÷ peer and ÷ socat. The socat
 * rows say `socatMissing` when socat could not run.
 *
 * @example transferFigures({ megabytes: 200, samples, socatMissing: undefined })
 */
export function transferFigures(input: TransferFigureInput): Figure[] {
  const { megabytes, socatMissing } = input;
  const bytes = megabytes * 1e6;
  return directions.flatMap((direction) => {
    const samplesOf = (route: RouteName): readonly TransferSample[] => input.samples[direction][route] ?? [];
    const rate = (route: RouteName): number =>
      median(samplesOf(route).map((sample) => sample.megabytesPerSecond));
    const cpu = (route: RouteName): number => cpuSecondsPerGigabyte(samplesOf(route), bytes) ?? NaN;
    const what = `CONNECT tunnel, ${megabytes} MB ${direction}`;
    const ours = { value: rate("ours"), unit: "MB/s" } as const;
    const oursCpu = { value: cpu("ours"), unit: "s/GB" } as const;
    const unmeasured = (id: string, label: string): Figure => ({
      kind: "not-measured",
      id: `connect.${direction}.${id}`,
      label,
      reason: socatMissing ?? "",
    });
    const figures: Figure[] = [
      measuredFigure({
        id: `connect.${direction}.vs-direct`,
        label: `${what}: MB/s, ours ÷ direct`,
        ours,
        reference: { name: "direct", value: rate("direct"), unit: "MB/s" },
        target: { subject: "ratio", comparison: ">=", limit: 0.9 },
      }),
      measuredFigure({
        id: `connect.${direction}.vs-peer`,
        label: `${what}: MB/s, ours ÷ peer`,
        ours,
        reference: { name: PEER, value: rate("peer"), unit: "MB/s" },
      }),
    ];
    const socatLabels = {
      vsSocat: `${what}: MB/s, ours ÷ socat relay`,
      socatVsDirect: `${what}: MB/s, socat relay ÷ direct (socat in the ours column)`,
      cpuVsSocat: `${what}: relay CPU per GB, ours ÷ socat relay`,
    };
    if (socatMissing === undefined) {
      figures.push(
        measuredFigure({
          id: `connect.${direction}.vs-socat`,
          label: socatLabels.vsSocat,
          ours,
          reference: { name: SOCAT, value: rate("socat"), unit: "MB/s" },
          target: { subject: "ratio", comparison: ">=", limit: 0.95 },
        }),
        measuredFigure({
          id: `connect.${direction}.socat-vs-direct`,
          label: socatLabels.socatVsDirect,
          ours: { value: rate("socat"), unit: "MB/s" },
          reference: { name: "direct", value: rate("direct"), unit: "MB/s" },
        }),
      );
    } else {
      figures.push(
        unmeasured("vs-socat", socatLabels.vsSocat),
        unmeasured("socat-vs-direct", socatLabels.socatVsDirect),
      );
    }
    figures.push(
      measuredFigure({
        id: `connect.${direction}.cpu-per-gb.vs-peer`,
        label: `${what}: proxy CPU per GB, ours ÷ peer`,
        ours: oursCpu,
        reference: { name: PEER, value: cpu("peer"), unit: "s/GB" },
      }),
      socatMissing === undefined
        ? measuredFigure({
            id: `connect.${direction}.cpu-per-gb.vs-socat`,
            label: socatLabels.cpuVsSocat,
            ours: oursCpu,
            reference: { name: SOCAT, value: cpu("socat"), unit: "s/GB" },
          })
        : unmeasured("cpu-per-gb.vs-socat", socatLabels.cpuVsSocat),
    );
    return figures;
  });
}
