import type { Deployment } from "../../../chain/deployment-schema";

export type { Deployment };
export type ContractName = keyof Deployment["contracts"];

/**
 * Every deployment the build knows: chain/deployments/<chainId>.json (31337.json is written by
 * `npm start`'s deploy step, 11155111.json is committed after a Sepolia deploy), plus the file
 * named by DEPLOYMENT_FILE when the dashboard was started with it (the same variable the
 * coordinator reads), which wins for its chain.
 */
const files = import.meta.glob<Deployment>("@chain/deployments/*.json", {
  eager: true,
  import: "default",
});

function isDeployment(x: unknown): x is Deployment {
  if (!x || typeof x !== "object") return false;
  const d = x as Partial<Deployment>;
  return (
    typeof d.chainId === "number" &&
    typeof d.contracts?.ContributionLedger?.address === "string" &&
    typeof d.contracts?.RewardToken?.address === "string"
  );
}

export function collectDeployments(
  sources: readonly unknown[],
  override: unknown,
): Record<number, Deployment> {
  const byChain: Record<number, Deployment> = {};
  for (const d of sources) if (isDeployment(d)) byChain[d.chainId] = d;
  if (isDeployment(override)) byChain[override.chainId] = override;
  return byChain;
}

export const deployments: Record<number, Deployment> = collectDeployments(
  Object.values(files),
  __FEDLEDGER_DEPLOYMENT__,
);

export function deploymentFor(chainId: number | undefined): Deployment | undefined {
  return chainId === undefined ? undefined : deployments[chainId];
}

/**
 * The contracts the dashboard should read: the deployment file for the coordinator's chain; when
 * the coordinator reports other addresses for that chain (the chain was redeployed after this
 * dashboard was built), the coordinator's addresses win and `stale` says so.
 */
export function resolveDeployment(
  chainId: number | undefined,
  reported?: { RewardToken: string; ContributionLedger: string },
  known: Record<number, Deployment> = deployments,
): { deployment: Deployment | undefined; stale: boolean } {
  if (chainId === undefined) return { deployment: undefined, stale: false };
  const file = known[chainId];
  if (!reported) return { deployment: file, stale: false };
  const same =
    file &&
    file.contracts.ContributionLedger.address.toLowerCase() ===
      reported.ContributionLedger.toLowerCase() &&
    file.contracts.RewardToken.address.toLowerCase() === reported.RewardToken.toLowerCase();
  if (same) return { deployment: file, stale: false };
  return {
    deployment: {
      chainId,
      network: file?.network ?? `chain ${chainId}`,
      deployedAt: file?.deployedAt ?? "",
      contracts: {
        RewardToken: { address: reported.RewardToken, deployBlock: 0 },
        ContributionLedger: { address: reported.ContributionLedger, deployBlock: 0 },
      },
    },
    stale: !!file,
  };
}
