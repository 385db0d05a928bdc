// Watches the chain the coordinator records on: reachable or not, the block it is at, and whether
// it is still the chain the deployment was made on. A local `hardhat node` restarts empty with a
// new genesis block; redeploying there puts the contracts back at the same addresses, so the code
// being present is not enough: the genesis hash the deployment recorded must match too. Health
// reads the cached status (it answers at once while the chain is unreachable), and the recorder
// sends nothing while the chain is not the deployment's.
import type { PublicClient } from "viem";
import type { Deployment } from "./deployment.js";
import { redactRpcUrl } from "./redact-url.js";

export interface ChainReset {
  detectedAt: number;
  /** What happened, in one sentence. */
  reason: string;
  /** What the operator can do about it. */
  choices: string[];
}

export interface ChainStatus {
  reachable: boolean;
  rpcUrl: string;
  chainId?: number;
  blockNumber?: number;
  contractsDeployed?: boolean;
  contracts?: { RewardToken: string; ContributionLedger: string };
  error?: string;
  /** Set when the chain is no longer the one the deployment (and the store) belong to. */
  reset?: ChainReset;
  /** When this status was read, and how old it is (ms) when served. */
  checkedAt: number;
  ageMs: number;
}

export const RESET_CHOICES = [
  "Start afresh: stop the coordinator, run `npm run deploy:local` if the contracts are not back, and start it again; the SQLite store of the old deployment is archived to data/archive/ and nothing is lost.",
  "Keep the store and record it again: run `npm run deploy:local`, then POST /api/admin/chain-recovery with the admin token; every run is registered again and every round re-recorded on the new deployment, then `npm run audit -- --all` checks the result.",
];

export interface ChainWatchOptions {
  intervalMs?: number;
  /** A read that does not answer within this is "unreachable". */
  timeoutMs?: number;
}

export class ChainWatch {
  private current: ChainStatus;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly interval: number;
  private readonly timeout: number;

  constructor(
    private readonly client: PublicClient,
    private readonly rpcUrl: string,
    private readonly deployment: () => Deployment,
    opts: ChainWatchOptions = {},
  ) {
    this.interval = opts.intervalMs ?? 2_000;
    this.timeout = opts.timeoutMs ?? 3_000;
    this.current = {
      reachable: false,
      rpcUrl: redactRpcUrl(rpcUrl),
      error: "not checked yet",
      checkedAt: 0,
      ageMs: 0,
    };
  }

  /** The last status read, with its age: never waits for the chain. */
  status(): ChainStatus {
    return {
      ...this.current,
      ageMs: this.current.checkedAt ? Date.now() - this.current.checkedAt : 0,
    };
  }

  /** Writes may go out: the chain answers and is the deployment's. */
  writable(): boolean {
    return !this.current.reset;
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.check().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.interval);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads the chain now (one read at a time; callers share it). */
  check(): Promise<void> {
    this.checking ??= this.read().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async read(): Promise<void> {
    const rpcUrl = redactRpcUrl(this.rpcUrl);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeout / 1000} s`)),
        this.timeout,
      );
    });
    try {
      const next = await Promise.race([this.probe(rpcUrl), timeout]);
      // A reset, once seen, stays until the operator recovers (rebind clears it).
      if (this.current.reset && !next.reset) next.reset = this.current.reset;
      this.current = next;
    } catch (err) {
      this.current = {
        reachable: false,
        rpcUrl,
        error: `Chain unreachable at ${rpcUrl}: ${(err as Error).message.split("\n")[0]}`,
        ...(this.current.reset ? { reset: this.current.reset } : {}),
        checkedAt: Date.now(),
        ageMs: 0,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private async probe(rpcUrl: string): Promise<ChainStatus> {
    const d = this.deployment();
    const ledger = d.contracts.ContributionLedger.address as `0x${string}`;
    const [chainId, blockNumber, code, genesis] = await Promise.all([
      this.client.getChainId(),
      this.client.getBlockNumber(),
      this.client.getCode({ address: ledger }),
      d.genesisHash ? this.client.getBlock({ blockNumber: 0n }) : Promise.resolve(undefined),
    ]);
    const status: ChainStatus = {
      reachable: true,
      rpcUrl,
      chainId,
      blockNumber: Number(blockNumber),
      contracts: {
        RewardToken: d.contracts.RewardToken.address,
        ContributionLedger: d.contracts.ContributionLedger.address,
      },
      contractsDeployed: d.chainId === chainId && !!code && code !== "0x",
      checkedAt: Date.now(),
      ageMs: 0,
    };
    const newGenesis = genesis && d.genesisHash && genesis.hash !== d.genesisHash;
    if (newGenesis || !status.contractsDeployed) {
      const reason = newGenesis
        ? `The chain at ${rpcUrl} is not the one the contracts were deployed on (genesis ${genesis.hash.slice(0, 10)}…, the deployment's ${d.genesisHash!.slice(0, 10)}…): it was restarted, so every record this coordinator made is gone from it. Chain writes are paused.`
        : `The contracts in the deployment file are not on the chain at ${rpcUrl}. Chain writes are paused.`;
      status.error = reason;
      status.reset = { detectedAt: Date.now(), reason, choices: RESET_CHOICES };
    }
    return status;
  }

  /** After a recovery: forget the reset and read the (new) deployment's chain again. */
  async rebind(): Promise<void> {
    this.current = { ...this.current, reset: undefined } as ChainStatus;
    delete this.current.reset;
    await this.check();
  }
}
