/**
 * Test suites for your own stores (`iam-auth-proxy/server-middleware/testing`): the contracts
 * every ReplayStore and RevocationStore must keep, written for `node:test`. Import this only
 * from tests: it imports node:test and node:assert.
 */
export { describeReplayStoreContract } from "./replay-store-contract.js";
export { describeRevocationStoreContract } from "./revocation-store-contract.js";
