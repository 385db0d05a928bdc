import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ContributionRecord } from "../../../backend/src/domain/index";
import type { ChainContribution, LedgerSnapshot } from "../../../backend/src/chain/ledger-events";
import { parseHash } from "../router";
import { LedgerPage } from "./LedgerPage";

// The chain side is read through wagmi; the test gives the page a ledger snapshot instead and
// serves the coordinator's side (runs, nodes, stored contributions) through fetch.
const CHAIN_RUN = `0x${"11".repeat(32)}` as const;
const WALLET_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const WALLET_2 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;

const chainContribution = (node: string, update: number, logIndex: number): ChainContribution => ({
  chainRunId: CHAIN_RUN,
  round: 4,
  node: node as `0x${string}`,
  samples: 600n,
  lossBefore: 10n ** 18n,
  lossAfter: 5n * 10n ** 17n,
  updateHash: hash(update),
  reward: 10n ** 18n,
  txHash: hash(99),
  blockNumber: 12n,
  logIndex,
});

const snapshot: LedgerSnapshot = {
  contributions: [chainContribution(WALLET_1, 0xa1, 0), chainContribution(WALLET_2, 0xb2, 1)],
  rounds: [],
  runs: [],
  claims: [],
  mints: [],
  totals: { supply: 0n, totalRecorded: 0n, ledgerBalance: 0n },
  blockNumber: 12n,
};

vi.mock("../chain/use-deployment", () => ({
  useActiveDeployment: () => ({
    chainId: 31337,
    deployment: {
      chainId: 31337,
      contracts: {
        ContributionLedger: { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3" },
        RewardToken: { address: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" },
      },
    },
    stale: false,
    source: "coordinator",
  }),
}));
vi.mock("../chain/use-ledger", () => ({
  useLedger: () => ({ data: snapshot, isError: false, isPending: false }),
}));
vi.mock("../chain/use-token", () => ({ useTokenSymbol: () => "FLR" }));

const stored = (
  wallet: string,
  update: number,
  anomaly: ContributionRecord["anomaly"],
): ContributionRecord => ({
  runId: "run-0123456789",
  round: 4,
  nodeId: wallet === WALLET_1 ? "sim-1" : "sim-2",
  wallet,
  samples: 600,
  lossBefore: 1,
  lossAfter: 0.5,
  score: 300,
  rewardWei: "1000000000000000000",
  updateHash: hash(update).toUpperCase().replace("0X", "0x"),
  txHash: hash(99),
  anomaly,
});

function serve(contributions: ContributionRecord[]) {
  const urls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string) => {
      urls.push(url);
      const path = url.split("?")[0];
      const body =
        path === "/api/runs"
          ? [{ id: "run-0123456789", name: "mnist-demo", chainRunId: CHAIN_RUN }]
          : path === "/api/nodes"
            ? [
                { id: "sim-1", wallet: WALLET_1 },
                { id: "sim-2", wallet: WALLET_2 },
              ]
            : path === "/api/contributions"
              ? contributions
              : path === "/api/contributions/totals"
                ? {
                    contributions: 2,
                    recorded: 2,
                    recordedWei: "2000000000000000000",
                    pendingWei: "0",
                  }
                : { status: "ok", chain: {} };
      return Promise.resolve(Response.json(body));
    }),
  );
  return urls;
}

function renderLedger(hashText = "#/ledger") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <LedgerPage route={parseHash(hashText)} />
    </QueryClientProvider>,
  );
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("LedgerPage anomaly flags", () => {
  it("tags the contributions whose update the run's screening flagged, z-scores in the title", async () => {
    const urls = serve([
      stored(WALLET_1, 0xa1, {
        norm: 14.2,
        cosine: -0.31,
        normZ: 6.84,
        cosineZ: 4.1,
        flagged: true,
        excluded: false,
      }),
      stored(WALLET_2, 0xb2, {
        norm: 2.1,
        cosine: 0.92,
        normZ: 0.3,
        cosineZ: null,
        flagged: false,
        excluded: false,
      }),
    ]);
    renderLedger();
    const tag = await screen.findByTestId("anomaly-tag");
    expect(tag.textContent).toBe("anomalous");
    expect(tag.getAttribute("title")).toBe(
      "Flagged by the run's anomaly screening: norm 14.2 (robust z 6.84), cosine to the round's " +
        "mean update -0.31 (robust z 4.10). Still aggregated (anomaly.exclude is off).",
    );
    const rows = within(screen.getByTestId("ledger-table")).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    const flaggedRow = rows.find((r) => r.textContent?.includes("sim-1"));
    const cleanRow = rows.find((r) => r.textContent?.includes("sim-2"));
    expect(flaggedRow?.className).toBe("anomalous");
    expect(within(flaggedRow!).getByTestId("anomaly-tag")).toBe(tag);
    expect(cleanRow?.className).toBe("");
    expect(screen.getByText(/1 anomalous/)).toBeTruthy();
    expect(urls).toContain("/api/contributions?limit=10000&flagged=true");
  });

  it("marks an excluded update, reads one run's contributions when filtered, and shows nothing unscreened", async () => {
    const urls = serve([
      stored(WALLET_2, 0xb2, {
        norm: 40,
        cosine: 0.1,
        normZ: 9.5,
        cosineZ: null,
        flagged: true,
        excluded: true,
      }),
      stored(WALLET_1, 0xa1, null),
    ]);
    renderLedger(`#/ledger?run=${CHAIN_RUN}`);
    await waitFor(() =>
      expect(urls).toContain("/api/contributions?limit=10000&flagged=true&run=run-0123456789"),
    );
    const tag = await screen.findByTestId("anomaly-tag");
    expect(tag.textContent).toBe("anomalous · excluded");
    expect(tag.getAttribute("title")).toContain("robust z — (too little history)");
    expect(tag.getAttribute("title")).toContain("Left out of the aggregate");
    expect(screen.getAllByTestId("anomaly-tag")).toHaveLength(1);
  });
});
