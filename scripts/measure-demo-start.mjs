// How long a restart of `npm run demo` takes: from starting `npm run demo` (its set-up included)
// until the demo prints its `demo-ready` line, N times in a row (free ports, each run stopped once
// ready). Run it after one `npm run demo` or `npm test` has built: node scripts/measure-demo-start.mjs
// (N=5 by default).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const runs = Number(process.env.N ?? 5);

function timeOneStart() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // detached: its own process group, so one signal stops npm, the demo and the demo's three servers.
    const child = spawn("npm", ["run", "demo", "--", "--app-port", "0", "--proxy-port", "0"], {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      if (!output.includes("demo-ready")) return;
      const elapsed = performance.now() - started;
      child.off("exit", onExit);
      child.once("exit", () => resolve(elapsed));
      process.kill(-child.pid, "SIGTERM");
    };
    const onExit = (code) =>
      reject(new Error(`npm run demo exited (${code}) before it was ready:\n${output}`));
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", onExit);
  });
}

const times = [];
for (let run = 1; run <= runs; run++) {
  const elapsed = await timeOneStart();
  times.push(elapsed);
  console.log(`run ${run}: ready after ${(elapsed / 1000).toFixed(2)} s`);
}
times.sort((a, b) => a - b);
console.log(
  `median ${(times[Math.floor(times.length / 2)] / 1000).toFixed(2)} s (min ${(times[0] / 1000).toFixed(2)}, max ${(times.at(-1) / 1000).toFixed(2)}, ${runs} runs)`,
);
