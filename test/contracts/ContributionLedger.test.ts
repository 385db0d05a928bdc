import { expect } from "chai";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import type { ContributionLedger, RewardToken } from "../../types/ethers-contracts/index.js";

const { ethers, networkHelpers } = await network.create();

const E18 = 10n ** 18n;
const RECORDER_ROLE = ethers.id("RECORDER_ROLE");
const PAUSER_ROLE = ethers.id("PAUSER_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const REGISTER_NODE_TYPE = "RegisterNode(bytes32 nodeId,address wallet,uint256 deadline)";
const REGISTRATION_TYPES = {
  RegisterNode: [
    { name: "nodeId", type: "bytes32" },
    { name: "wallet", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
};

const RUN = ethers.id("run-1");
const POLICY = ethers.id("loss-improvement/v1");
const SPEC = ethers.id("a run's spec document");
const POLICY_PARAMS = ethers.AbiCoder.defaultAbiCoder().encode(
  ["uint256", "uint256"],
  [5n * E18, E18 / 2n],
);
const nodeIdOf = (name: string) => ethers.id(`node:${name}`);
const hashOf = (label: string) => ethers.id(label);

interface ContributionInput {
  node: string;
  samples: bigint;
  lossBefore: bigint;
  lossAfter: bigint;
  updateHash: string;
  reward: bigint;
}

function contribution(node: string, reward: bigint, round = 1): ContributionInput {
  return {
    node,
    samples: 600n,
    lossBefore: 2_302_585_092_994_045_684n, // ln(10), a fresh 10-class model's cross-entropy
    lossAfter: 1_750_000_000_000_000_000n,
    updateHash: hashOf(`update:${round}:${node}`),
    reward,
  };
}

async function signRegistration(
  signer: HardhatEthersSigner,
  ledger: ContributionLedger,
  nodeId: string,
  wallet: string,
  deadline: bigint,
  overrides: { chainId?: bigint; verifyingContract?: string; name?: string } = {},
): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  const domain = {
    name: overrides.name ?? "FedLedger",
    version: "1",
    chainId: overrides.chainId ?? chainId,
    verifyingContract: overrides.verifyingContract ?? (await ledger.getAddress()),
  };
  return signer.signTypedData(domain, REGISTRATION_TYPES, { nodeId, wallet, deadline });
}

async function deadlineIn(seconds: number): Promise<bigint> {
  return BigInt((await networkHelpers.time.latest()) + seconds);
}

async function deployLedger() {
  const [admin, recorder, relayer, alice, bob, carol, stranger] = await ethers.getSigners();
  if (!admin || !recorder || !relayer || !alice || !bob || !carol || !stranger) {
    throw new Error("expected at least 7 accounts");
  }
  const ledger = await ethers.deployContract("ContributionLedger", [
    "FedLedger Reward",
    "FLR",
    admin.address,
    recorder.address,
  ]);
  const token = await ethers.getContractAt("RewardToken", await ledger.token());
  return { ledger, token, admin, recorder, relayer, alice, bob, carol, stranger };
}

/** A ledger with one run and alice, bob and carol registered (relayed by `relayer`). */
async function deployWithNodes() {
  const fixture = await deployLedger();
  const { ledger, recorder, relayer, alice, bob, carol } = fixture;
  await ledger.connect(recorder).registerRun(RUN, POLICY, POLICY_PARAMS, SPEC);
  const deadline = await deadlineIn(3600);
  for (const [name, signer] of [
    ["alice", alice],
    ["bob", bob],
    ["carol", carol],
  ] as const) {
    const sig = await signRegistration(signer, ledger, nodeIdOf(name), signer.address, deadline);
    await ledger.connect(relayer).registerNode(nodeIdOf(name), signer.address, deadline, sig);
  }
  return fixture;
}

/** deployWithNodes plus round 1 recorded: alice 3 FLR, bob 2 FLR, carol 0. */
async function deployWithRound() {
  const fixture = await deployWithNodes();
  const { ledger, recorder, alice, bob, carol } = fixture;
  await ledger
    .connect(recorder)
    .recordRound(RUN, 1, hashOf("model:1"), [
      contribution(alice.address, 3n * E18),
      contribution(bob.address, 2n * E18),
      contribution(carol.address, 0n),
    ]);
  return fixture;
}

async function expectInvariants(
  ledger: ContributionLedger,
  token: RewardToken,
  wallets: string[],
): Promise<void> {
  const ledgerAddress = await ledger.getAddress();
  let unclaimed = 0n;
  for (const w of wallets) unclaimed += await ledger.claimable(w);
  expect(await token.totalSupply()).to.equal(await ledger.totalRecorded());
  expect(await token.balanceOf(ledgerAddress)).to.equal(unclaimed);
}

async function receiptOf(tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

describe("ContributionLedger", function () {
  describe("deployment", function () {
    it("deploys its own token and is its only minter", async function () {
      const { ledger, token } = await networkHelpers.loadFixture(deployLedger);
      expect(await token.minter()).to.equal(await ledger.getAddress());
      expect(await token.name()).to.equal("FedLedger Reward");
      expect(await token.symbol()).to.equal("FLR");
      expect(await token.decimals()).to.equal(18n);
      expect(await token.totalSupply()).to.equal(0n);
    });

    it("grants admin+pauser to admin and recorder to recorder, nothing else", async function () {
      const { ledger, admin, recorder, stranger } = await networkHelpers.loadFixture(deployLedger);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await ledger.hasRole(PAUSER_ROLE, admin.address)).to.equal(true);
      expect(await ledger.hasRole(RECORDER_ROLE, admin.address)).to.equal(false);
      expect(await ledger.hasRole(RECORDER_ROLE, recorder.address)).to.equal(true);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, recorder.address)).to.equal(false);
      expect(await ledger.hasRole(PAUSER_ROLE, stranger.address)).to.equal(false);
      expect(await ledger.RECORDER_ROLE()).to.equal(RECORDER_ROLE);
      expect(await ledger.PAUSER_ROLE()).to.equal(PAUSER_ROLE);
    });

    it("exposes the EIP-712 domain and registration typehash", async function () {
      const { ledger } = await networkHelpers.loadFixture(deployLedger);
      const domain = await ledger.eip712Domain();
      expect(domain.name).to.equal("FedLedger");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(domain.verifyingContract).to.equal(await ledger.getAddress());
      expect(await ledger.REGISTER_NODE_TYPEHASH()).to.equal(ethers.id(REGISTER_NODE_TYPE));
    });

    it("rejects a zero admin or recorder", async function () {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ContributionLedger");
      await expect(
        factory.deploy("N", "S", ethers.ZeroAddress, admin!.address),
      ).to.be.revertedWithCustomError(factory, "ZeroAddress");
      await expect(
        factory.deploy("N", "S", admin!.address, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(factory, "ZeroAddress");
    });
  });

  describe("registerRun", function () {
    it("stores the policy and emits RunRegistered", async function () {
      const { ledger, recorder } = await networkHelpers.loadFixture(deployLedger);
      await expect(ledger.connect(recorder).registerRun(RUN, POLICY, POLICY_PARAMS, SPEC))
        .to.emit(ledger, "RunRegistered")
        .withArgs(RUN, POLICY, POLICY_PARAMS, SPEC);
      const [policyId, params] = await ledger.runPolicy(RUN);
      expect(policyId).to.equal(POLICY);
      expect(params).to.equal(POLICY_PARAMS);
      expect(await ledger.runSpec(RUN)).to.equal(SPEC);
      const state = await ledger.runState(RUN);
      expect(state.registered).to.equal(true);
      expect(state.roundCount).to.equal(0n);
      expect(state.totalReward).to.equal(0n);
    });

    it("reverts for a non-recorder", async function () {
      const { ledger, admin, stranger } = await networkHelpers.loadFixture(deployLedger);
      for (const caller of [stranger, admin]) {
        await expect(ledger.connect(caller).registerRun(RUN, POLICY, "0x", ethers.ZeroHash))
          .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, RECORDER_ROLE);
      }
    });

    it("reverts on a duplicate run and on zero ids", async function () {
      const { ledger, recorder } = await networkHelpers.loadFixture(deployLedger);
      const asRecorder = ledger.connect(recorder);
      await asRecorder.registerRun(RUN, POLICY, "0x", ethers.ZeroHash);
      await expect(asRecorder.registerRun(RUN, ethers.id("other"), "0x", ethers.ZeroHash))
        .to.be.revertedWithCustomError(ledger, "RunAlreadyRegistered")
        .withArgs(RUN);
      await expect(
        asRecorder.registerRun(ethers.ZeroHash, POLICY, "0x", ethers.ZeroHash),
      ).to.be.revertedWithCustomError(ledger, "InvalidRunId");
      await expect(
        asRecorder.registerRun(ethers.id("run-2"), ethers.ZeroHash, "0x", ethers.ZeroHash),
      ).to.be.revertedWithCustomError(ledger, "InvalidPolicyId");
    });
  });

  describe("registerNode", function () {
    it("binds a node id to the signing wallet, relayed by anyone", async function () {
      const { ledger, relayer, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const sig = await signRegistration(alice, ledger, nodeIdOf("a"), alice.address, deadline);
      expect(await ledger.registrationDigest(nodeIdOf("a"), alice.address, deadline)).to.equal(
        ethers.TypedDataEncoder.hash(
          {
            name: "FedLedger",
            version: "1",
            chainId: (await ethers.provider.getNetwork()).chainId,
            verifyingContract: await ledger.getAddress(),
          },
          REGISTRATION_TYPES,
          { nodeId: nodeIdOf("a"), wallet: alice.address, deadline },
        ),
      );
      await expect(
        ledger.connect(relayer).registerNode(nodeIdOf("a"), alice.address, deadline, sig),
      )
        .to.emit(ledger, "NodeRegistered")
        .withArgs(nodeIdOf("a"), alice.address);
      expect(await ledger.nodeWallet(nodeIdOf("a"))).to.equal(alice.address);
      expect(await ledger.walletNode(alice.address)).to.equal(nodeIdOf("a"));
    });

    it("opens the wallet's token balance slot, changing no balance and minting nothing", async function () {
      const { ledger, token, relayer, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const sig = await signRegistration(alice, ledger, nodeIdOf("a"), alice.address, deadline);
      expect(await token.isOpen(alice.address)).to.equal(false);
      const tx = ledger.connect(relayer).registerNode(nodeIdOf("a"), alice.address, deadline, sig);
      await expect(tx).to.not.emit(token, "Transfer");
      expect(await token.isOpen(alice.address)).to.equal(true);
      expect(await token.balanceOf(alice.address)).to.equal(0n);
      expect(await token.totalSupply()).to.equal(0n);
    });

    it("reserves node ids starting with 0xff to recorders: a stranger cannot squat them", async function () {
      const { ledger, recorder, stranger, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const reserved = `0xff${nodeIdOf("sim-1").slice(4)}`;
      expect(await ledger.RESERVED_NODE_ID_PREFIX()).to.equal("0xff");
      // The stranger binds the id to its own wallet, with its own valid signature: refused.
      const own = await signRegistration(stranger, ledger, reserved, stranger.address, deadline);
      await expect(ledger.connect(stranger).registerNode(reserved, stranger.address, deadline, own))
        .to.be.revertedWithCustomError(ledger, "ReservedNodeId")
        .withArgs(reserved);
      // The recorder relays the simulated node's registration.
      const sig = await signRegistration(alice, ledger, reserved, alice.address, deadline);
      await expect(ledger.connect(recorder).registerNode(reserved, alice.address, deadline, sig))
        .to.emit(ledger, "NodeRegistered")
        .withArgs(reserved, alice.address);
    });

    it("registerNodes binds a batch, skips entries already bound as asked, and skips bad ones with their reason", async function () {
      const { ledger, recorder, alice, bob, carol, stranger } =
        await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const entry = async (signer: typeof alice, name: string, wallet = signer.address) => ({
        nodeId: nodeIdOf(name),
        wallet,
        deadline,
        signature: await signRegistration(signer, ledger, nodeIdOf(name), wallet, deadline),
      });
      const a = await entry(alice, "a");
      const b = await entry(bob, "b");
      // carol signs for bob's wallet: forged, skipped without reverting the batch.
      const forged = await entry(carol, "c", bob.address);
      const reserved = `0xff${nodeIdOf("sim-9").slice(4)}`;
      const squat = {
        nodeId: reserved,
        wallet: stranger.address,
        deadline,
        signature: await signRegistration(stranger, ledger, reserved, stranger.address, deadline),
      };
      const tx = ledger.connect(stranger).registerNodes([a, b, forged, squat]);
      await expect(tx).to.emit(ledger, "NodeRegistered").withArgs(nodeIdOf("a"), alice.address);
      await expect(tx)
        .to.emit(ledger, "NodeRegistrationSkipped")
        .withArgs(
          nodeIdOf("c"),
          bob.address,
          ledger.interface.getError("WalletAlreadyRegistered")!.selector,
        );
      await expect(tx)
        .to.emit(ledger, "NodeRegistrationSkipped")
        .withArgs(
          reserved,
          stranger.address,
          ledger.interface.getError("ReservedNodeId")!.selector,
        );
      expect(await ledger.nodeWallet(nodeIdOf("b"))).to.equal(bob.address);
      // Sent again (a retry after a crash): a no-op, nothing skipped, nothing re-bound.
      const again = ledger.connect(recorder).registerNodes([a, b]);
      await expect(again).to.not.emit(ledger, "NodeRegistered");
      await expect(again).to.not.emit(ledger, "NodeRegistrationSkipped");
    });

    it("accepts a signature made exactly at the deadline", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(100);
      const sig = await signRegistration(alice, ledger, nodeIdOf("a"), alice.address, deadline);
      await networkHelpers.time.setNextBlockTimestamp(deadline);
      await expect(ledger.registerNode(nodeIdOf("a"), alice.address, deadline, sig)).to.emit(
        ledger,
        "NodeRegistered",
      );
    });

    it("rejects a forged signature: someone else registering alice's wallet", async function () {
      const { ledger, stranger, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const forged = await signRegistration(
        stranger,
        ledger,
        nodeIdOf("evil"),
        alice.address,
        deadline,
      );
      await expect(
        ledger.connect(stranger).registerNode(nodeIdOf("evil"), alice.address, deadline, forged),
      )
        .to.be.revertedWithCustomError(ledger, "InvalidRegistrationSignature")
        .withArgs(nodeIdOf("evil"), alice.address);
      expect(await ledger.walletNode(alice.address)).to.equal(ethers.ZeroHash);
    });

    it("rejects alice's signature replayed with another node id, deadline or wallet", async function () {
      const { ledger, alice, bob } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const sig = await signRegistration(alice, ledger, nodeIdOf("a"), alice.address, deadline);
      const attempts: [string, string, bigint][] = [
        [nodeIdOf("b"), alice.address, deadline],
        [nodeIdOf("a"), alice.address, deadline + 1n],
        [nodeIdOf("a"), bob.address, deadline],
      ];
      for (const [nodeId, wallet, dl] of attempts) {
        await expect(ledger.registerNode(nodeId, wallet, dl, sig)).to.be.revertedWithCustomError(
          ledger,
          "InvalidRegistrationSignature",
        );
      }
    });

    it("rejects signatures for another chain, another contract or another domain name", async function () {
      const { ledger, alice, stranger } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const variants = [
        { chainId: 1n },
        { verifyingContract: stranger.address },
        { name: "FedLedger2" },
      ];
      for (const overrides of variants) {
        const sig = await signRegistration(
          alice,
          ledger,
          nodeIdOf("a"),
          alice.address,
          deadline,
          overrides,
        );
        await expect(
          ledger.registerNode(nodeIdOf("a"), alice.address, deadline, sig),
        ).to.be.revertedWithCustomError(ledger, "InvalidRegistrationSignature");
      }
    });

    it("rejects malformed and high-s (malleable) signatures", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const sig = await signRegistration(alice, ledger, nodeIdOf("a"), alice.address, deadline);
      const split = ethers.Signature.from(sig);
      const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const highS = ethers.concat([
        split.r,
        ethers.toBeHex(n - BigInt(split.s), 32),
        ethers.toBeHex(split.v === 27 ? 28 : 27, 1),
      ]);
      for (const bad of ["0x", "0x1234", ethers.dataSlice(sig, 0, 64), highS]) {
        await expect(
          ledger.registerNode(nodeIdOf("a"), alice.address, deadline, bad),
        ).to.be.revertedWithCustomError(ledger, "InvalidRegistrationSignature");
      }
    });

    it("rejects an expired deadline", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(60);
      const sig = await signRegistration(alice, ledger, nodeIdOf("a"), alice.address, deadline);
      await networkHelpers.time.increaseTo(deadline + 1n);
      await expect(ledger.registerNode(nodeIdOf("a"), alice.address, deadline, sig))
        .to.be.revertedWithCustomError(ledger, "RegistrationExpired")
        .withArgs(deadline);
    });

    it("never rebinds a node id or a wallet", async function () {
      const { ledger, alice, bob } = await networkHelpers.loadFixture(deployWithNodes);
      const deadline = await deadlineIn(600);
      // bob validly signs for alice's node id: the id is taken.
      const bobSig = await signRegistration(bob, ledger, nodeIdOf("alice"), bob.address, deadline);
      await expect(ledger.registerNode(nodeIdOf("alice"), bob.address, deadline, bobSig))
        .to.be.revertedWithCustomError(ledger, "NodeAlreadyRegistered")
        .withArgs(nodeIdOf("alice"), alice.address);
      // alice validly signs for a second node id: her wallet is taken.
      const aliceSig = await signRegistration(
        alice,
        ledger,
        nodeIdOf("alice-2"),
        alice.address,
        deadline,
      );
      await expect(ledger.registerNode(nodeIdOf("alice-2"), alice.address, deadline, aliceSig))
        .to.be.revertedWithCustomError(ledger, "WalletAlreadyRegistered")
        .withArgs(alice.address, nodeIdOf("alice"));
      // The very same registration replayed.
      const again = await signRegistration(
        alice,
        ledger,
        nodeIdOf("alice"),
        alice.address,
        deadline,
      );
      await expect(
        ledger.registerNode(nodeIdOf("alice"), alice.address, deadline, again),
      ).to.be.revertedWithCustomError(ledger, "NodeAlreadyRegistered");
    });

    it("rejects a zero node id or wallet", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployLedger);
      const deadline = await deadlineIn(600);
      const sig = await signRegistration(alice, ledger, ethers.ZeroHash, alice.address, deadline);
      await expect(
        ledger.registerNode(ethers.ZeroHash, alice.address, deadline, sig),
      ).to.be.revertedWithCustomError(ledger, "InvalidNodeId");
      await expect(
        ledger.registerNode(nodeIdOf("a"), ethers.ZeroAddress, deadline, sig),
      ).to.be.revertedWithCustomError(ledger, "InvalidWallet");
    });

    it("accepts an ERC-1271 smart-contract wallet and rejects a wrong owner", async function () {
      const { ledger, alice, bob } = await networkHelpers.loadFixture(deployLedger);
      const wallet = await ethers.deployContract("MockERC1271Wallet", [alice.address]);
      const walletAddress = await wallet.getAddress();
      const deadline = await deadlineIn(600);
      const bad = await signRegistration(bob, ledger, nodeIdOf("sc"), walletAddress, deadline);
      await expect(
        ledger.registerNode(nodeIdOf("sc"), walletAddress, deadline, bad),
      ).to.be.revertedWithCustomError(ledger, "InvalidRegistrationSignature");
      const good = await signRegistration(alice, ledger, nodeIdOf("sc"), walletAddress, deadline);
      await expect(ledger.registerNode(nodeIdOf("sc"), walletAddress, deadline, good))
        .to.emit(ledger, "NodeRegistered")
        .withArgs(nodeIdOf("sc"), walletAddress);
    });
  });

  describe("recordRound", function () {
    it("records contributions, mints each reward to the ledger and credits the nodes", async function () {
      const { ledger, token, recorder, alice, bob, carol } =
        await networkHelpers.loadFixture(deployWithNodes);
      const ledgerAddress = await ledger.getAddress();
      const contributions = [
        contribution(alice.address, 3n * E18),
        contribution(bob.address, 2n * E18),
        contribution(carol.address, 0n),
      ];
      const tx = ledger.connect(recorder).recordRound(RUN, 7, hashOf("model:7"), contributions);
      await expect(tx)
        .to.emit(ledger, "ContributionRecorded")
        .withArgs(
          RUN,
          7,
          alice.address,
          600n,
          contributions[0]!.lossBefore,
          contributions[0]!.lossAfter,
          contributions[0]!.updateHash,
          3n * E18,
        )
        .and.to.emit(ledger, "RoundRecorded")
        .withArgs(RUN, 7, hashOf("model:7"), 3n, 5n * E18);
      await expect(tx).to.changeTokenBalances(ethers, token, [ledgerAddress], [5n * E18]);

      expect(await ledger.claimable(alice.address)).to.equal(3n * E18);
      expect(await ledger.claimable(bob.address)).to.equal(2n * E18);
      expect(await ledger.claimable(carol.address)).to.equal(0n);
      expect(await ledger.totalRecorded()).to.equal(5n * E18);
      expect(await ledger.isRecorded(RUN, 7)).to.equal(true);
      expect(await ledger.isRecorded(RUN, 6)).to.equal(false);
      expect(await ledger.roundModelHash(RUN, 7)).to.equal(hashOf("model:7"));
      expect(await ledger.lastRound(RUN)).to.equal(7n);
      const state = await ledger.runState(RUN);
      expect([
        state.registered,
        state.roundCount,
        state.lastRecordedRound,
        state.totalReward,
      ]).to.deep.equal([true, 1n, 7n, 5n * E18]);
      await expectInvariants(ledger, token, [alice.address, bob.address, carol.address]);
    });

    it("logs one Transfer from the zero address right before each rewarded contribution", async function () {
      const { ledger, token, recorder, alice, bob, carol } =
        await networkHelpers.loadFixture(deployWithNodes);
      const ledgerAddress = await ledger.getAddress();
      const tokenAddress = await token.getAddress();
      const receipt = await receiptOf(
        ledger
          .connect(recorder)
          .recordRound(RUN, 1, hashOf("model:1"), [
            contribution(alice.address, 3n * E18),
            contribution(carol.address, 0n),
            contribution(bob.address, 2n * E18),
          ]),
      );
      const decoded = receipt.logs.map((log) =>
        log.address === tokenAddress
          ? { src: "token", ev: token.interface.parseLog(log) }
          : { src: "ledger", ev: ledger.interface.parseLog(log) },
      );
      expect(decoded.map((d) => `${d.src}.${d.ev?.name}`)).to.deep.equal([
        "token.Transfer",
        "ledger.ContributionRecorded",
        "ledger.ContributionRecorded",
        "token.Transfer",
        "ledger.ContributionRecorded",
        "ledger.RoundRecorded",
      ]);
      for (const i of [0, 3]) {
        const transfer = decoded[i]!.ev!;
        const recorded = decoded[i + 1]!.ev!;
        expect(transfer.args.from).to.equal(ethers.ZeroAddress);
        expect(transfer.args.to).to.equal(ledgerAddress);
        expect(transfer.args.value).to.equal(recorded.args.reward);
      }
      // The auditor's filter: by run, round and node.
      const filter = ledger.filters.ContributionRecorded(RUN, 1, bob.address);
      const events = await ledger.queryFilter(filter);
      expect(events).to.have.length(1);
      expect(events[0]!.args.reward).to.equal(2n * E18);
    });

    it("accepts an empty round, a first round of 0 and gaps, and keeps rounds strictly increasing", async function () {
      const { ledger, recorder, alice } = await networkHelpers.loadFixture(deployWithNodes);
      const asRecorder = ledger.connect(recorder);
      await expect(asRecorder.recordRound(RUN, 0, hashOf("m0"), []))
        .to.emit(ledger, "RoundRecorded")
        .withArgs(RUN, 0, hashOf("m0"), 0n, 0n);
      expect(await ledger.isRecorded(RUN, 0)).to.equal(true);
      await asRecorder.recordRound(RUN, 5, hashOf("m5"), [contribution(alice.address, E18, 5)]);
      await expect(asRecorder.recordRound(RUN, 3, hashOf("m3"), []))
        .to.be.revertedWithCustomError(ledger, "RoundNotIncreasing")
        .withArgs(RUN, 3, 5);
      await expect(asRecorder.recordRound(RUN, 0, hashOf("m0-again"), []))
        .to.be.revertedWithCustomError(ledger, "RoundAlreadyRecorded")
        .withArgs(RUN, 0);
      await asRecorder.recordRound(RUN, 6, hashOf("m6"), []);
      expect((await ledger.runState(RUN)).roundCount).to.equal(3n);
    });

    it("reverts when the same (run, round) is recorded twice", async function () {
      const { ledger, recorder, alice } = await networkHelpers.loadFixture(deployWithRound);
      await expect(
        ledger
          .connect(recorder)
          .recordRound(RUN, 1, hashOf("model:1"), [contribution(alice.address, E18)]),
      )
        .to.be.revertedWithCustomError(ledger, "RoundAlreadyRecorded")
        .withArgs(RUN, 1);
      expect(await ledger.claimable(alice.address)).to.equal(3n * E18);
    });

    it("keeps rounds separate per run", async function () {
      const { ledger, recorder, alice } = await networkHelpers.loadFixture(deployWithRound);
      const run2 = ethers.id("run-2");
      await ledger.connect(recorder).registerRun(run2, POLICY, "0x", ethers.ZeroHash);
      await ledger
        .connect(recorder)
        .recordRound(run2, 1, hashOf("run2:model:1"), [contribution(alice.address, E18)]);
      expect(await ledger.claimable(alice.address)).to.equal(4n * E18);
      expect((await ledger.runState(run2)).totalReward).to.equal(E18);
      expect((await ledger.runState(RUN)).totalReward).to.equal(5n * E18);
      expect(await ledger.totalRecorded()).to.equal(6n * E18);
    });

    it("reverts for an unauthorized recorder", async function () {
      const { ledger, admin, stranger, alice } = await networkHelpers.loadFixture(deployWithNodes);
      for (const caller of [stranger, admin, alice]) {
        await expect(
          ledger
            .connect(caller)
            .recordRound(RUN, 1, hashOf("m"), [contribution(alice.address, E18)]),
        )
          .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, RECORDER_ROLE);
      }
    });

    it("follows role changes: a granted recorder may record, a revoked one may not", async function () {
      const { ledger, admin, recorder, stranger, alice } =
        await networkHelpers.loadFixture(deployWithNodes);
      await ledger.connect(admin).grantRole(RECORDER_ROLE, stranger.address);
      await ledger.connect(stranger).recordRound(RUN, 1, hashOf("m1"), []);
      await ledger.connect(admin).revokeRole(RECORDER_ROLE, recorder.address);
      await expect(
        ledger
          .connect(recorder)
          .recordRound(RUN, 2, hashOf("m2"), [contribution(alice.address, 1n)]),
      ).to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount");
      await expect(
        ledger.connect(recorder).grantRole(RECORDER_ROLE, recorder.address),
      ).to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount");
    });

    it("rejects an unregistered run, a zero model hash, unregistered and duplicate nodes", async function () {
      const { ledger, recorder, alice, bob, stranger } =
        await networkHelpers.loadFixture(deployWithNodes);
      const asRecorder = ledger.connect(recorder);
      await expect(asRecorder.recordRound(ethers.id("nope"), 1, hashOf("m"), []))
        .to.be.revertedWithCustomError(ledger, "RunNotRegistered")
        .withArgs(ethers.id("nope"));
      await expect(
        asRecorder.recordRound(RUN, 1, ethers.ZeroHash, []),
      ).to.be.revertedWithCustomError(ledger, "InvalidModelHash");
      await expect(
        asRecorder.recordRound(RUN, 1, hashOf("m"), [
          contribution(alice.address, E18),
          contribution(stranger.address, E18),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "NodeNotRegistered")
        .withArgs(stranger.address);
      await expect(
        asRecorder.recordRound(RUN, 1, hashOf("m"), [
          contribution(alice.address, E18),
          contribution(bob.address, E18),
          contribution(alice.address, 0n),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "DuplicateContribution")
        .withArgs(alice.address);
      expect(await ledger.isRecorded(RUN, 1)).to.equal(false);
      expect(await ledger.totalRecorded()).to.equal(0n);
    });

    it("rejects a reward that does not fit the 120-bit balance", async function () {
      const { ledger, recorder, alice } = await networkHelpers.loadFixture(deployWithNodes);
      const max = 2n ** 120n - 1n;
      await expect(
        ledger
          .connect(recorder)
          .recordRound(RUN, 1, hashOf("m"), [contribution(alice.address, max + 1n)]),
      )
        .to.be.revertedWithCustomError(ledger, "SafeCastOverflowedUintDowncast")
        .withArgs(120, max + 1n);
    });
  });

  describe("claims", function () {
    it("claim(amount) pays the caller part of its balance", async function () {
      const { ledger, token, alice } = await networkHelpers.loadFixture(deployWithRound);
      const ledgerAddress = await ledger.getAddress();
      const tx = ledger.connect(alice).claim(E18);
      await expect(tx).to.emit(ledger, "Claimed").withArgs(alice.address, E18);
      await expect(tx).to.emit(token, "Transfer").withArgs(ledgerAddress, alice.address, E18);
      await expect(tx).to.changeTokenBalances(
        ethers,
        token,
        [alice.address, ledgerAddress],
        [E18, -E18],
      );
      expect(await ledger.claimable(alice.address)).to.equal(2n * E18);
      expect(await ledger.totalClaimed(alice.address)).to.equal(E18);
    });

    it("claimAll() pays everything and returns the amount", async function () {
      const { ledger, token, bob, alice, carol } =
        await networkHelpers.loadFixture(deployWithRound);
      expect(await ledger.connect(bob).claimAll.staticCall()).to.equal(2n * E18);
      await expect(ledger.connect(bob).claimAll())
        .to.emit(ledger, "Claimed")
        .withArgs(bob.address, 2n * E18);
      expect(await ledger.claimable(bob.address)).to.equal(0n);
      expect(await ledger.totalClaimed(bob.address)).to.equal(2n * E18);
      expect(await token.balanceOf(bob.address)).to.equal(2n * E18);
      await expectInvariants(ledger, token, [alice.address, bob.address, carol.address]);
      await expect(ledger.connect(bob).claimAll())
        .to.be.revertedWithCustomError(ledger, "NothingToClaim")
        .withArgs(bob.address);
    });

    it("rejects a claim over the balance", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployWithRound);
      await expect(ledger.connect(alice).claim(3n * E18 + 1n))
        .to.be.revertedWithCustomError(ledger, "InsufficientClaimable")
        .withArgs(alice.address, 3n * E18, 3n * E18 + 1n);
      await ledger.connect(alice).claim(3n * E18);
      await expect(ledger.connect(alice).claim(1n))
        .to.be.revertedWithCustomError(ledger, "InsufficientClaimable")
        .withArgs(alice.address, 0n, 1n);
    });

    it("rejects a stranger's claim and never pays anyone but the caller", async function () {
      const { ledger, token, stranger, carol, alice } =
        await networkHelpers.loadFixture(deployWithRound);
      await expect(ledger.connect(stranger).claim(E18))
        .to.be.revertedWithCustomError(ledger, "InsufficientClaimable")
        .withArgs(stranger.address, 0n, E18);
      await expect(ledger.connect(stranger).claimAll())
        .to.be.revertedWithCustomError(ledger, "NothingToClaim")
        .withArgs(stranger.address);
      // A registered node whose rewards were all zero is a stranger to the money too.
      await expect(ledger.connect(carol).claimAll()).to.be.revertedWithCustomError(
        ledger,
        "NothingToClaim",
      );
      expect(await token.balanceOf(stranger.address)).to.equal(0n);
      expect(await ledger.claimable(alice.address)).to.equal(3n * E18);
    });

    it("a node's first claim costs what a later one does, within the 60,000 gas target", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployWithRound);
      const gasOf = async (tx: Promise<ContractTransactionResponse>) =>
        Number((await (await tx).wait())!.gasUsed);
      const first = await gasOf(ledger.connect(alice).claim(E18));
      const second = await gasOf(ledger.connect(alice).claim(E18));
      expect(first).to.be.at.most(60_000);
      expect(Math.abs(first - second)).to.be.at.most(100);
    });

    it("rejects claim(0)", async function () {
      const { ledger, alice } = await networkHelpers.loadFixture(deployWithRound);
      await expect(ledger.connect(alice).claim(0)).to.be.revertedWithCustomError(
        ledger,
        "ZeroClaim",
      );
    });
  });

  describe("pausing", function () {
    it("pauses and resumes recording and claiming, never registration", async function () {
      const { ledger, admin, recorder, alice, bob } =
        await networkHelpers.loadFixture(deployWithRound);
      await expect(ledger.connect(admin).pause()).to.emit(ledger, "Paused").withArgs(admin.address);
      expect(await ledger.paused()).to.equal(true);

      await expect(
        ledger
          .connect(recorder)
          .recordRound(RUN, 2, hashOf("m2"), [contribution(alice.address, 1n)]),
      ).to.be.revertedWithCustomError(ledger, "EnforcedPause");
      await expect(
        ledger.connect(recorder).registerRun(ethers.id("run-2"), POLICY, "0x", ethers.ZeroHash),
      ).to.be.revertedWithCustomError(ledger, "EnforcedPause");
      await expect(ledger.connect(alice).claim(1n)).to.be.revertedWithCustomError(
        ledger,
        "EnforcedPause",
      );
      await expect(ledger.connect(bob).claimAll()).to.be.revertedWithCustomError(
        ledger,
        "EnforcedPause",
      );
      const [, , , , , , stranger] = await ethers.getSigners();
      const deadline = await deadlineIn(600);
      const sig = await signRegistration(
        stranger!,
        ledger,
        nodeIdOf("s"),
        stranger!.address,
        deadline,
      );
      await expect(ledger.registerNode(nodeIdOf("s"), stranger!.address, deadline, sig)).to.emit(
        ledger,
        "NodeRegistered",
      );
      await expect(ledger.connect(admin).pause()).to.be.revertedWithCustomError(
        ledger,
        "EnforcedPause",
      );

      await expect(ledger.connect(admin).unpause()).to.emit(ledger, "Unpaused");
      await ledger
        .connect(recorder)
        .recordRound(RUN, 2, hashOf("m2"), [contribution(alice.address, 1n)]);
      await ledger.connect(alice).claim(1n);
      await expect(ledger.connect(admin).unpause()).to.be.revertedWithCustomError(
        ledger,
        "ExpectedPause",
      );
    });

    it("only the pauser role pauses or unpauses", async function () {
      const { ledger, admin, recorder, stranger } = await networkHelpers.loadFixture(deployLedger);
      for (const caller of [recorder, stranger]) {
        await expect(ledger.connect(caller).pause())
          .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, PAUSER_ROLE);
      }
      await ledger.connect(admin).pause();
      await expect(ledger.connect(stranger).unpause())
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, PAUSER_ROLE);
    });
  });
});
