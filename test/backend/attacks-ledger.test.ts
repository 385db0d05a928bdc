// Attacks on the rewards and the ledger (issue 12), each performed for real against a real chain and
// coordinator: squatting node ids on chain, stalling other runs' chain writes, pools past the
// contract's integer widths, smart-contract wallets, long event histories, public-chain defaults.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  toBytes,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { contributionLedgerAbi } from "../../chain/generated/abis.js";
import { readLedger } from "../../backend/src/chain/ledger-events.js";
import { redactRpcUrl } from "../../backend/src/chain/redact-url.js";
import { loadConfig } from "../../backend/src/config.js";
import { createCoordinator } from "../../backend/src/coordinator.js";
import type { RunSummary } from "../../backend/src/domain/index.js";
import { chainNodeId, signRegistration } from "../../backend/src/nodes/node-registration.js";
import { outboxRepo } from "../../backend/src/store/repos/outbox-repo.js";
import { finishedRun, runAudit, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import type { LocalChain } from "../helpers/local-chain.js";
import { openApiConformance } from "../helpers/openapi-conformance.js";
import { HARDHAT_DEV_KEYS, root } from "../helpers/processes.js";
import { until } from "../helpers/until.js";

const quickRun = {
  dataset: "synthetic",
  model: "logreg",
  partition: { kind: "iid" },
  numNodes: 3,
  fraction: 1,
  rounds: 2,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  strategy: { name: "fedavg" },
};

describe("attacks on the ledger and the rewards (real chain)", function () {
  this.timeout(240_000);
  let stack: Awaited<ReturnType<typeof startCoordinatorStack>>;
  let chain: LocalChain;
  let client: PublicClient;
  const attacker = privateKeyToAccount(HARDHAT_DEV_KEYS[7]!);
  const ledgerAddress = () =>
    chain.deployment.contracts.ContributionLedger.address as `0x${string}`;
  const domain = () => ({ chainId: 31337, verifyingContract: ledgerAddress() });
  const asAttacker = () =>
    createWalletClient({ account: attacker, chain: hardhat, transport: http(chain.rpcUrl) });

  before(async () => {
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-attacks-ledger-", workers: 1 });
    chain = stack.chain;
    client = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) });
  });

  after(async () => {
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("a stranger cannot squat a simulated node's id on chain, and the run is paid in full", async () => {
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const simId = chainNodeId("sim-2");
    expect(simId.startsWith("0xff")).to.equal(true);
    const sig = await signRegistration(attacker, domain(), "sim-2", deadline);
    // The attacker binds sim-2's chain id to its own wallet, with its own valid signature: before
    // the reserved namespace this took sim-2's id and left the node unpayable forever.
    let reverted = "";
    try {
      await asAttacker().writeContract({
        address: ledgerAddress(),
        abi: contributionLedgerAbi,
        functionName: "registerNode",
        args: [simId, attacker.address, deadline, sig],
      });
    } catch (err) {
      reverted = (err as Error).message;
    }
    expect(reverted).to.match(/ReservedNodeId/);
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", quickRun);
    expect(created.status).to.equal(201);
    const { rounds } = await finishedRun(stack.server.url, created.body.id);
    expect(rounds.every((r) => r.updates.every((u) => u.accepted))).to.equal(true);
    expect(await runAudit(stack.env, ["--run", created.body.id])).to.contain("verdict: PASS");
  });

  it("a remote node id squatted on chain is refused before any round, never stalling a write", async () => {
    const victim = privateKeyToAccount(HARDHAT_DEV_KEYS[6]!);
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    // The attacker registers "victim-node" on chain for its own wallet first…
    await asAttacker().writeContract({
      address: ledgerAddress(),
      abi: contributionLedgerAbi,
      functionName: "registerNode",
      args: [
        chainNodeId("victim-node"),
        attacker.address,
        deadline,
        await signRegistration(attacker, domain(), "victim-node", deadline),
      ],
    });
    // …then the coordinator is told the id belongs to another wallet, W (no admin token needed).
    const reg = await api(stack.server.url, "POST", "/api/nodes", {
      nodeId: "victim-node",
      wallet: victim.address,
      deadline: Number(deadline),
      signature: await signRegistration(victim, domain(), "victim-node", deadline),
    });
    expect(reg.status).to.equal(201);
    const item = await until("the registration to fail on chain", async () => {
      const i = await outboxRepo.get(stack.coord.db, "register-node:victim-node");
      return i?.status === "failed" && i;
    });
    expect(item.lastError).to.match(/NodeAlreadyRegistered/);
    // Before a round, the coordinator compares the chain's binding with the store's.
    const refusal = await stack.coord.admission.refusal(
      { id: "victim-node", wallet: victim.address, samples: 100, fit: () => Promise.reject() },
      { runId: "run-0000000000", maxSamples: 60_000 },
    );
    expect(refusal).to.match(/bound on chain to 0x[0-9a-fA-F]{40}, not to its wallet/);
  });

  it("one run's write that can never land holds back neither its later rounds nor other runs", async () => {
    const { db } = stack.coord;
    const stranger = privateKeyToAccount(HARDHAT_DEV_KEYS[5]!).address;
    const stuckRun = "run-5711c0ffee";
    const stuckChainId = keccak256(toBytes(stuckRun));
    // A run that is registered but whose round names a wallet the chain does not know (before:
    // retried forever at the head of the one global queue)…
    await outboxRepo.enqueue(db, {
      id: `register-run:${stuckRun}`,
      kind: "register-run",
      runId: stuckRun,
      payload: {
        chainRunId: stuckChainId,
        policyId: keccak256(toBytes("fedledger.reward.loss-improvement.v1")),
        policyParams: "0x",
      },
    });
    const round = (n: number, node: `0x${string}`) => ({
      id: `record-round:${stuckRun}:${n}`,
      kind: "record-round" as const,
      runId: stuckRun,
      round: n,
      payload: {
        chainRunId: stuckChainId,
        round: n,
        modelHash: keccak256(toBytes(`model ${n}`)),
        contributions: [
          {
            node,
            samples: 1,
            lossBefore: "2",
            lossAfter: "1",
            updateHash: keccak256(toBytes(`update ${n}`)),
            reward: "1",
          },
        ],
      },
    });
    await outboxRepo.enqueue(db, round(1, stranger));
    // …and another run created afterwards.
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", quickRun);
    stack.coord.outbox.poke();
    const { run } = await finishedRun(stack.server.url, created.body.id);
    expect(run.status).to.equal("completed");
    const failed = await until("the unknown-node round to be parked as failed", async () => {
      const i = await outboxRepo.get(db, `record-round:${stuckRun}:1`);
      return i?.status === "failed" && i;
    });
    expect(failed.lastError).to.match(/NodeNotRegistered/);
    // The failure is visible through the API, with its reason.
    const listed = await api<{ id: string; lastError: string }[]>(
      stack.server.url,
      "GET",
      "/api/outbox?status=failed",
    );
    expect(listed.body.map((i) => i.id)).to.include(`record-round:${stuckRun}:1`);
    expect(await runAudit(stack.env, ["--run", created.body.id])).to.contain("verdict: PASS");
  });

  it("refuses a pool the contract cannot hold, naming the bound (it used to stall the outbox)", async () => {
    for (const pool of [(2n ** 120n).toString(), "9".repeat(80), "1000000001"]) {
      const res = await api<{ error: { message: string } }>(stack.server.url, "POST", "/api/runs", {
        ...quickRun,
        reward: { policy: "loss-improvement", poolPerRound: pool },
      });
      expect(res.status, pool.slice(0, 12)).to.equal(400);
      expect(res.body.error.message).to.match(/poolPerRound: at most 1,000,000,000 tokens/);
    }
  });

  it("registers a smart-contract wallet (ERC-1271) through the coordinator, as the ledger does", async () => {
    const owner = privateKeyToAccount(HARDHAT_DEV_KEYS[4]!);
    const artifact = JSON.parse(
      readFileSync(
        path.join(root, "artifacts/contracts/mocks/MockERC1271Wallet.sol/MockERC1271Wallet.json"),
        "utf8",
      ),
    ) as { abi: unknown[]; bytecode: Hex };
    const deployer = createWalletClient({
      account: owner,
      chain: hardhat,
      transport: http(chain.rpcUrl),
    });
    const hash = await deployer.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: [owner.address],
    });
    const wallet = (await client.waitForTransactionReceipt({ hash })).contractAddress!;
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    // The owner signs for the contract wallet; recovering the signer gives the owner, not the
    // wallet, which is why an EOA-only check refused this registration.
    const signature = await owner.signTypedData({
      domain: { name: "FedLedger", version: "1", ...domain() },
      types: {
        RegisterNode: [
          { name: "nodeId", type: "bytes32" },
          { name: "wallet", type: "address" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "RegisterNode",
      message: { nodeId: chainNodeId("safe-node"), wallet, deadline },
    });
    const res = await api(stack.server.url, "POST", "/api/nodes", {
      nodeId: "safe-node",
      wallet,
      deadline: Number(deadline),
      signature,
    });
    expect(res.status).to.equal(201);
    await until("the contract wallet's registration on chain", async () => {
      const bound = await client.readContract({
        address: ledgerAddress(),
        abi: contributionLedgerAbi,
        functionName: "nodeWallet",
        args: [chainNodeId("safe-node")],
      });
      return bound.toLowerCase() === wallet.toLowerCase();
    });
    // A signature by anyone else is still refused.
    const forged = await api<{ error: { code: string } }>(stack.server.url, "POST", "/api/nodes", {
      nodeId: "safe-node-2",
      wallet,
      deadline: Number(deadline),
      signature: await attacker.signTypedData({
        domain: { name: "FedLedger", version: "1", ...domain() },
        types: {
          RegisterNode: [
            { name: "nodeId", type: "bytes32" },
            { name: "wallet", type: "address" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "RegisterNode",
        message: { nodeId: chainNodeId("safe-node-2"), wallet, deadline },
      }),
    });
    expect(forged.status).to.equal(400);
    expect(forged.body.error.code).to.equal("bad_signature");
  });

  it("reads the ledger's events page by page over a history longer than one page", async () => {
    await client.request({ method: "hardhat_mine" as never, params: ["0x40"] as never });
    const whole = await readLedger(client, chain.deployment, { pageBlocks: 1_000_000n });
    const paged = await readLedger(client, chain.deployment, { pageBlocks: 7n });
    expect(
      whole.blockNumber - BigInt(chain.deployment.contracts.ContributionLedger.deployBlock),
    ).to.be.greaterThan(7n * 5n);
    expect(paged.contributions.length).to.be.greaterThan(0);
    expect(paged.contributions).to.deep.equal(whole.contributions);
    expect(paged.rounds).to.deep.equal(whole.rounds);
    expect(paged.mints).to.deep.equal(whole.mints);
    // An endpoint that refuses wide ranges (as public RPCs do) is read in halved pages.
    const capped = {
      ...client,
      getContractEvents: (args: { fromBlock: bigint; toBlock: bigint }) => {
        if (args.toBlock - args.fromBlock + 1n > 10n)
          return Promise.reject(new Error("query exceeds max block range 10"));
        return client.getContractEvents(args as never);
      },
    } as unknown as PublicClient;
    const halved = await readLedger(capped, chain.deployment, { pageBlocks: 64n });
    expect(halved.contributions).to.deep.equal(whole.contributions);
  });

  it("off the local chain: refuses simulated nodes and never shows the RPC URL's key", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fl-public-chain-"));
    try {
      const file = path.join(dir, "11155111.json");
      writeFileSync(file, JSON.stringify({ ...chain.deployment, chainId: 11155111 }));
      const secretUrl = `${chain.rpcUrl}/v2/sk-secret-provider-key?apikey=sk-other-secret`;
      const coord = await createCoordinator(
        loadConfig({
          CHAIN_RPC_URL: secretUrl,
          DEPLOYMENT_FILE: file,
          DATA_DIR: dir,
          ADMIN_TOKEN: "a-long-enough-admin-token-0123",
          RECORDER_PRIVATE_KEY: HARDHAT_DEV_KEYS[0]!,
        }),
        {
          engineFactory: () => Promise.reject(new Error("no engine")),
          engineInfo: async () => ({}),
          apiMiddleware: [openApiConformance],
        },
      );
      try {
        const { listen } = await import("../helpers/http.js");
        const server = await listen(coord.app);
        try {
          const auth = { authorization: "Bearer a-long-enough-admin-token-0123" };
          const res = await api<{ error: { code: string; message: string } }>(
            server.url,
            "POST",
            "/api/runs",
            quickRun,
            auth,
          );
          expect(res.status).to.equal(400);
          expect(res.body.error.code).to.equal("simulated_nodes_unsafe");
          expect(res.body.error.message).to.match(/SIMULATED_NODE_MNEMONIC/);
          const health = await api(server.url, "GET", "/api/health");
          expect(JSON.stringify(health.body)).not.to.contain("sk-");
          expect(redactRpcUrl(secretUrl)).to.equal(`http://127.0.0.1:${chain.port}/…`);
        } finally {
          await server.close();
        }
      } finally {
        await coord.close();
      }
      // The deployment file the export writes holds no URL at all.
      expect(readFileSync(chain.deploymentFile, "utf8")).not.to.match(/rpcUrl|http:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
