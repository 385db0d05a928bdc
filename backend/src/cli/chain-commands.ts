// `fedledger nodes ls` and `fedledger rewards <address>`: the nodes the coordinator knows, and a
// wallet's rewards as read from the chain.
import type { NodeSummary, RewardsSummary } from "../domain/index.js";
import { COMMON_HELP, EXIT, needPositionals, usageError, type Command } from "./command.js";
import { table, tokens, toJson, when } from "./format.js";

const nodesUsage = `usage: fedledger nodes ls

The registered nodes (simulated and remote) with their status, wallet and rewards so far.
${COMMON_HELP}`;

const nodesCommand: Command = {
  name: "nodes",
  summary: "list the registered nodes with their rewards",
  usage: nodesUsage,
  async run({ positionals, io, client, json }) {
    const [action] = needPositionals({ usage: nodesUsage }, positionals, ["ls"]);
    if (action !== "ls" && action !== "list")
      throw usageError(`unknown action "${action}"\n\n${nodesUsage}`);
    const nodes = await (await client()).get<NodeSummary[]>("/api/nodes");
    if (json) io.out(toJson(nodes));
    else
      io.out(
        table(
          ["ID", "KIND", "STATUS", "WALLET", "CONTRIBUTIONS", "REWARDS (FLR)", "LAST SEEN"],
          nodes.map((n) => [
            n.id,
            n.kind,
            n.status,
            n.wallet,
            String(n.totals.contributions),
            tokens(n.totals.rewardWei),
            when(n.lastSeen),
          ]),
        ),
      );
    return EXIT.ok;
  },
};

const rewardsUsage = `usage: fedledger rewards <address>

A wallet's rewards read from the chain: recorded, claimed, claimable, and its token balance.
${COMMON_HELP}`;

const rewardsCommand: Command = {
  name: "rewards",
  summary: "a wallet's recorded, claimed and claimable rewards (from the chain)",
  usage: rewardsUsage,
  async run({ positionals, io, client, json }) {
    const [address] = needPositionals({ usage: rewardsUsage }, positionals, ["<address>"]);
    const r = await (await client()).get<RewardsSummary>(`/api/rewards/${address}`);
    if (json) io.out(toJson(r));
    else
      io.out(
        [
          `${r.address}`,
          `  recorded   ${tokens(r.recordedWei)} FLR`,
          `  claimed    ${tokens(r.claimedWei)} FLR`,
          `  claimable  ${tokens(r.claimableWei)} FLR`,
          `  balance    ${tokens(r.balanceWei)} FLR`,
        ].join("\n"),
      );
    return EXIT.ok;
  },
};
export const chainCommands: Command[] = [nodesCommand, rewardsCommand];
