import type { Benchmark } from "./benchmark.js";

/** Figure 6: the gateway for apps in any language does not exist yet; its row says so rather than show a number. */
export const gatewayBenchmark: Benchmark = {
  name: "gateway",
  title: "Gateway: apps in any language behind iamAuth",
  run: () =>
    Promise.resolve({
      figures: [
        {
          kind: "not-measured",
          id: "gateway.throughput",
          label: "Gateway: req/s, ours ÷ direct",
          reason: "not measured: no gateway yet",
        },
      ],
      details: {},
    }),
};
