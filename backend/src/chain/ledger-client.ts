import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  parseEventLogs,
  http,
  type Hex,
  type PublicClient,
  type WalletClient,
  type Account,
  type Chain,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { contributionLedgerAbi } from "../../../chain/generated/abis.js";
import type { Deployment } from "./deployment.js";

export interface ContributionInput {
  node: `0x${string}`;
  samples: bigint;
  lossBefore: bigint;
  lossAfter: bigint;
  updateHash: Hex;
  reward: bigint;
}

/** A contract revert, with the custom error's name when the ABI knows it. */
export class LedgerRevert extends Error {
  constructor(
    readonly errorName: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

function asRevert(err: unknown): unknown {
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName;
      return new LedgerRevert(
        name,
        `${name ?? "revert"}${revert.data?.args ? `(${revert.data.args.map(String).join(", ")})` : ""}`,
      );
    }
  }
  return err;
}

/**
 * The coordinator's side of the ContributionLedger: reads, and the recorder's writes. Every write
 * is simulated first (so a revert names its custom error), then sent and waited for.
 */
export class LedgerClient {
  readonly publicClient: PublicClient;
  private readonly wallet: WalletClient;
  private readonly account: Account;
  readonly address: `0x${string}`;
  deployBlock: bigint;
  private readonly chain: Chain;
  private readonly metrics:
    { timedFetch(): typeof fetch; observeGas(fn: string, gas: bigint): void } | undefined;

  constructor(opts: {
    rpcUrl: string;
    deployment: Deployment;
    recorderKey: Hex;
    /** The coordinator's metrics: RPC timing, and the gas of each write. */
    metrics?: { timedFetch(): typeof fetch; observeGas(fn: string, gas: bigint): void };
  }) {
    this.metrics = opts.metrics;
    this.account = privateKeyToAccount(opts.recorderKey);
    this.chain = {
      id: opts.deployment.chainId,
      name: opts.deployment.network,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [opts.rpcUrl] } },
    };
    const transport = http(opts.rpcUrl, {
      retryCount: 0,
      timeout: 30_000,
      ...(opts.metrics ? { fetchFn: opts.metrics.timedFetch() } : {}),
    });
    this.publicClient = createPublicClient({ chain: this.chain, transport, pollingInterval: 200 });
    this.wallet = createWalletClient({ chain: this.chain, transport, account: this.account });
    this.address = opts.deployment.contracts.ContributionLedger.address as `0x${string}`;
    this.deployBlock = BigInt(opts.deployment.contracts.ContributionLedger.deployBlock);
  }

  /** After a chain recovery: the same addresses, deployed again from another block. */
  rebind(deployment: Deployment): void {
    if (
      deployment.contracts.ContributionLedger.address.toLowerCase() !== this.address.toLowerCase()
    )
      throw new Error("a ledger client can only be rebound to the same address");
    this.deployBlock = BigInt(deployment.contracts.ContributionLedger.deployBlock);
  }

  get recorder(): `0x${string}` {
    return this.account.address;
  }

  private async write(functionName: string, args: readonly unknown[]): Promise<Hex> {
    return (await this.writeForReceipt(functionName, args)).transactionHash;
  }

  private async writeForReceipt(functionName: string, args: readonly unknown[]) {
    try {
      const { request } = await this.publicClient.simulateContract({
        address: this.address,
        abi: contributionLedgerAbi,
        functionName: functionName as never,
        args: args as never,
        account: this.account,
      });
      const hash = await this.wallet.writeContract(request as never);
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
      this.metrics?.observeGas(functionName, receipt.gasUsed);
      if (receipt.status !== "success")
        throw new LedgerRevert(undefined, `transaction ${hash} reverted`);
      return receipt;
    } catch (err) {
      throw asRevert(err);
    }
  }

  registerRun(runId: Hex, policyId: Hex, params: Hex, specHash: Hex): Promise<Hex> {
    return this.write("registerRun", [runId, policyId, params, specHash]);
  }

  registerNode(nodeId: Hex, wallet: `0x${string}`, deadline: bigint, signature: Hex): Promise<Hex> {
    return this.write("registerNode", [nodeId, wallet, deadline, signature]);
  }

  /** Registers a batch; returns the transaction and the node ids it bound (others were skipped). */
  async registerNodes(
    registrations: { nodeId: Hex; wallet: `0x${string}`; deadline: bigint; signature: Hex }[],
  ): Promise<{ tx: Hex; bound: Hex[] }> {
    const receipt = await this.writeForReceipt("registerNodes", [registrations]);
    const bound = parseEventLogs({
      abi: contributionLedgerAbi,
      logs: receipt.logs,
      eventName: "NodeRegistered",
    }).map((l) => (l.args as { nodeId: Hex }).nodeId);
    return { tx: receipt.transactionHash, bound };
  }

  recordRound(
    runId: Hex,
    round: number,
    modelHash: Hex,
    contributions: ContributionInput[],
  ): Promise<Hex> {
    return this.write("recordRound", [runId, round, modelHash, contributions]);
  }

  async isRunRegistered(runId: Hex): Promise<boolean> {
    const [policyId] = (await this.publicClient.readContract({
      address: this.address,
      abi: contributionLedgerAbi,
      functionName: "runPolicy",
      args: [runId],
    })) as readonly [Hex, Hex];
    return policyId !== `0x${"0".repeat(64)}`;
  }

  async nodeWallet(nodeId: Hex): Promise<`0x${string}`> {
    return (await this.publicClient.readContract({
      address: this.address,
      abi: contributionLedgerAbi,
      functionName: "nodeWallet",
      args: [nodeId],
    })) as `0x${string}`;
  }

  async isRecorded(runId: Hex, round: number): Promise<boolean> {
    return (await this.publicClient.readContract({
      address: this.address,
      abi: contributionLedgerAbi,
      functionName: "isRecorded",
      args: [runId, round],
    })) as boolean;
  }

  /** The transaction that recorded (run, round), found from its RoundRecorded event. */
  async findRoundTx(runId: Hex, round: number): Promise<Hex | undefined> {
    const logs = await this.publicClient.getContractEvents({
      address: this.address,
      abi: contributionLedgerAbi,
      eventName: "RoundRecorded",
      args: { runId, round } as never,
      fromBlock: this.deployBlock,
    });
    return logs[0]?.transactionHash ?? undefined;
  }
}
