#!/usr/bin/env node
/*
 * Local STS + KMS for tests, the demo and benchmarks.
 *
 *   node dist/local-aws/main.js [--port N] [--host 127.0.0.1] [--config FILE] [--secrets-file FILE]
 *
 * Prints one `<time> listening url=http://127.0.0.1:<port>` line once ready, then one line
 * per call. Without --config it serves the built-in demo world (demo-account.ts).
 * --secrets-file keeps FILE holding `{"secrets": [...]}`: every secret key, session token and
 * KMS plaintext this process knows or issued, for the test audit that greps logs for them.
 * SIGTERM / SIGINT close the server and exit 0.
 */
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { loadLocalAwsConfig, LocalAwsConfigError } from "./config.js";
import { demoConfig } from "./demo-account.js";
import { formatLogLine } from "./log.js";
import { createSecretsFileWriter, type SecretsFileWriter } from "./secrets-file.js";
import { createLocalAws } from "./server.js";

const usage =
  "usage: node dist/local-aws/main.js [--port N] [--host 127.0.0.1] [--config FILE] [--secrets-file FILE]";

function fail(message: string): never {
  process.stderr.write(`${formatLogLine(new Date(), "start-failed", { reason: message })}\n${usage}\n`);
  process.exit(2);
}

interface CliOptions {
  readonly port: number;
  readonly host: string;
  readonly configPath: string | undefined;
  readonly secretsFile: string | undefined;
}

function readOptions(): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        config: { type: "string" },
        "secrets-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
  if (!(port >= 0 && port <= 65535))
    fail(`--port must be an integer 0..65535, got ${JSON.stringify(values.port)}`);
  return { port, host: values.host, configPath: values.config, secretsFile: values["secrets-file"] };
}

function main(): void {
  const { port, host, configPath, secretsFile } = readOptions();
  let config = demoConfig;
  if (configPath !== undefined) {
    try {
      config = loadLocalAwsConfig(configPath);
    } catch (error) {
      if (error instanceof LocalAwsConfigError) fail(error.message);
      throw error;
    }
  }
  let writer: SecretsFileWriter | undefined;
  const { server, state } = createLocalAws({ config, onNewSecret: () => writer?.schedule() });
  if (secretsFile !== undefined) {
    writer = createSecretsFileWriter(
      secretsFile,
      () => state.secrets.list(),
      (error) =>
        process.stderr.write(
          `${formatLogLine(new Date(), "secrets-file-failed", { error: error.message })}\n`,
        ),
    );
    writer.flush();
  }
  server.on("error", (error) => fail(`cannot listen on ${host}:${port}: ${error.message}`));
  server.listen(port, host, () => {
    const address = server.address() as AddressInfo;
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    process.stdout.write(
      `${formatLogLine(new Date(), "listening", { url: `http://${shownHost}:${address.port}` })}\n`,
    );
  });
  const stop = (signal: string): void => {
    process.stdout.write(`${formatLogLine(new Date(), "stopping", { signal })}\n`);
    writer?.flush();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main();
