import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");

const DeployedContract = z.object({
  address,
  // No event of the contract is older than this block: log scans start here.
  deployBlock: z.number().int().nonnegative(),
});

/**
 * What a deployment writes to chain/deployments/<chainId>.json: chain id, addresses and the block
 * they were deployed at, never an RPC URL (a provider URL carries its API key, and these files are
 * committed and bundled into the dashboard).
 *
 * What a deployment writes to chain/deployments/<chainId>.json, and what the coordinator and the
 * dashboard read. ABIs live in chain/generated/abis.ts (from the compiler), addresses here (from the
 * deployment): neither is ever hand-copied.
 */
export const DeploymentSchema = z.object({
  chainId: z.number().int().positive(),
  network: z.string(),
  deployedAt: z.string(),
  genesisHash: z.string().optional(),
  contracts: z.object({
    RewardToken: DeployedContract,
    ContributionLedger: DeployedContract,
  }),
});

export type Deployment = z.infer<typeof DeploymentSchema>;
