import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

// solc is pinned in package.json to the same version: Hardhat compiles offline with it instead of
// downloading a compiler.
const SOLC_VERSION = "0.8.28";

// One compiler setup for every build profile: `ignition deploy` builds with the "production" profile,
// which would otherwise fall back to Hardhat's own defaults (optimizer runs 200, no evmVersion), so
// the deployed and verified bytecode would differ from what the tests and `bench:gas` measured.
const compiler = {
  version: SOLC_VERSION,
  path: require.resolve("solc/soljson.js"),
  settings: {
    optimizer: { enabled: true, runs: 10_000 },
    evmVersion: "cancun",
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: compiler,
      production: compiler,
    },
  },
  paths: {
    tests: { mocha: "test" },
  },
  test: {
    mocha: { timeout: 120_000 },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.CHAIN_RPC_URL ?? `http://127.0.0.1:${process.env.CHAIN_PORT ?? "8545"}`,
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
});
