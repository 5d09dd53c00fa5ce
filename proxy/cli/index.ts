/**
 * cli/: the `iam-auth-proxy` command — flags, environment and config file turned into typed
 * options once, the subcommands, the terminal MFA prompt. The only folder that reads
 * process.argv and process.env. May import: every other folder of the proxy.
 */
export * from "./mfa-prompt.js";
