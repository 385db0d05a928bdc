// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SlotDerivation} from "@openzeppelin/contracts/utils/SlotDerivation.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {RewardToken} from "./RewardToken.sol";

/**
 * @title ContributionLedger
 * @notice The auditable record of a FedLedger federated-learning deployment.
 *
 * - Runs are registered with the id and ABI-encoded parameters of their reward policy, so anyone can
 *   recompute every reward from chain data alone.
 * - Nodes bind a node id to a wallet with an EIP-712 signature made by that wallet; anyone (usually
 *   the coordinator) may relay it.
 * - One transaction records one round: the global model hash and, per contribution, the node wallet,
 *   sample count, coordinator-measured losses (fixed point, 1e18 = 1.0), update hash and reward.
 *   Each rewarded contribution mints its reward to this ledger (a `Transfer` from the zero address
 *   on the {token}, immediately before its {ContributionRecorded} event) and credits the node.
 * - Nodes claim their credited rewards from their own wallet.
 *
 * Invariants: `token.totalSupply() == totalRecorded` (sum of all recorded rewards) and
 * `token.balanceOf(ledger) == sum of claimable(wallet)` (everything unclaimed).
 *
 * Roles: `RECORDER_ROLE` registers runs and records rounds, `PAUSER_ROLE` pauses/unpauses recording
 * and claiming, `DEFAULT_ADMIN_ROLE` manages roles. Node registration is never paused.
 */
contract ContributionLedger is AccessControl, Pausable, EIP712 {
    using SafeCast for uint256;
    using SlotDerivation for bytes32;
    using TransientSlot for bytes32;
    using TransientSlot for TransientSlot.BooleanSlot;

    /// @notice Role allowed to register runs and record rounds (the coordinator's recorder key).
    bytes32 public constant RECORDER_ROLE = keccak256("RECORDER_ROLE");
    /// @notice First byte of the node ids only a recorder may register (see {registerNode}).
    bytes1 public constant RESERVED_NODE_ID_PREFIX = 0xff;

    /// @notice Role allowed to pause and unpause recording and claiming.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice EIP-712 struct hash of a node registration, signed by `wallet`.
    bytes32 public constant REGISTER_NODE_TYPEHASH =
        keccak256("RegisterNode(bytes32 nodeId,address wallet,uint256 deadline)");

    /// @dev Transient namespace of the per-round duplicate-node check
    /// (keccak256(abi.encode(uint256(keccak256("fedledger.ledger.seen")) - 1)) & ~bytes32(uint256(0xff))).
    bytes32 private constant _SEEN_NAMESPACE =
        0x15a415e6ea5bb4d83e96c81a222284023ffd7ff70b1c386a584b8963c7beec00;

    /**
     * @notice One node's contribution to a round, as measured by the coordinator.
     * @param node The node's registered wallet; its reward is credited to this wallet.
     * @param samples Number of local training samples the update was computed on.
     * @param lossBefore Coordinator-measured validation loss before the update, fixed point 1e18.
     * @param lossAfter Coordinator-measured validation loss after the update, fixed point 1e18.
     * @param updateHash keccak256 of the node's serialized model update.
     * @param reward Reward in token wei (18 decimals); 0 mints nothing.
     */
    struct Contribution {
        address node;
        uint64 samples;
        uint128 lossBefore;
        uint128 lossAfter;
        bytes32 updateHash;
        uint256 reward;
    }

    /// @dev One storage slot per wallet. `registered` is set at registration, which also makes the
    /// slot non-zero so that crediting a node's first reward costs the same as any later one.
    /// @notice One node registration, as {registerNode} takes it (for {registerNodes}).
    struct NodeRegistration {
        bytes32 nodeId;
        address wallet;
        uint256 deadline;
        bytes signature;
    }

    struct Account {
        uint120 claimable;
        uint120 claimed;
        bool registered;
    }

    /// @dev The hot part of a run, read and written once per recorded round (one slot).
    struct RunState {
        bool registered;
        uint32 roundCount;
        uint32 lastRound;
        uint128 totalReward;
    }

    /// @dev The reward formula of a run: written once, read by auditors.
    struct RunPolicy {
        bytes32 policyId;
        bytes params;
        bytes32 specHash;
    }

    /// @notice The reward token; this ledger is its only minter.
    RewardToken public immutable token;

    /// @notice Sum of all rewards ever recorded (equals `token.totalSupply()`).
    uint256 public totalRecorded;

    mapping(bytes32 runId => RunState) private _runs;
    mapping(bytes32 runId => RunPolicy) private _policies;
    mapping(bytes32 runId => mapping(uint32 round => bytes32 modelHash)) private _modelHashes;
    mapping(address wallet => Account) private _accounts;
    mapping(bytes32 nodeId => address wallet) private _nodeWallets;
    mapping(address wallet => bytes32 nodeId) private _walletNodes;

    /**
     * @notice A run was registered with its reward policy.
     * @param runId The run.
     * @param policyId Identifier of the reward formula (e.g. keccak256 of its name and version).
     * @param policyParams ABI-encoded formula parameters.
     */
    event RunRegistered(
        bytes32 indexed runId,
        bytes32 indexed policyId,
        bytes policyParams,
        bytes32 specHash
    );

    /**
     * @notice `nodeId` is now bound to `wallet`, proven by `wallet`'s EIP-712 signature.
     * @param nodeId The node id.
     * @param wallet The node's wallet (rewards are credited to it, it claims them).
     */
    event NodeRegistered(bytes32 indexed nodeId, address indexed wallet);

    /// @notice An entry of {registerNodes} was not applied; `reason` is the selector of the error
    /// {registerNode} would have reverted with.
    event NodeRegistrationSkipped(bytes32 indexed nodeId, address indexed wallet, bytes4 reason);

    /**
     * @notice One contribution of a recorded round. When `reward > 0` the log right before this
     * one is the token's `Transfer(address(0), ledger, reward)`.
     * @param runId The run.
     * @param round The round.
     * @param node The node's wallet, credited with `reward`.
     * @param samples Local training sample count.
     * @param lossBefore Coordinator-measured loss before the update, fixed point 1e18.
     * @param lossAfter Coordinator-measured loss after the update, fixed point 1e18.
     * @param updateHash keccak256 of the node's update.
     * @param reward Reward in token wei.
     */
    event ContributionRecorded(
        bytes32 indexed runId,
        uint32 indexed round,
        address indexed node,
        uint64 samples,
        uint128 lossBefore,
        uint128 lossAfter,
        bytes32 updateHash,
        uint256 reward
    );

    /**
     * @notice A round was recorded (emitted after its {ContributionRecorded} events).
     * @param runId The run.
     * @param round The round.
     * @param modelHash Hash of the new global model.
     * @param contributions Number of contributions recorded.
     * @param totalReward Sum of their rewards, in token wei.
     */
    event RoundRecorded(
        bytes32 indexed runId,
        uint32 indexed round,
        bytes32 modelHash,
        uint256 contributions,
        uint256 totalReward
    );

    /**
     * @notice `node` claimed `amount` of its credited rewards (transferred to `node`).
     * @param node The claiming wallet.
     * @param amount Amount in token wei.
     */
    event Claimed(address indexed node, uint256 amount);

    /// @notice A constructor address argument is the zero address.
    error ZeroAddress();
    /// @notice `runId` is zero.
    error InvalidRunId();
    /// @notice `policyId` is zero.
    error InvalidPolicyId();
    /// @notice `runId` is already registered.
    error RunAlreadyRegistered(bytes32 runId);
    /// @notice `runId` was never registered.
    error RunNotRegistered(bytes32 runId);
    /// @notice `modelHash` is zero.
    error InvalidModelHash();
    /// @notice `round` of `runId` is already recorded.
    error RoundAlreadyRecorded(bytes32 runId, uint32 round);
    /// @notice `round` is not above the run's last recorded round `lastRound`.
    error RoundNotIncreasing(bytes32 runId, uint32 round, uint32 lastRound);
    /// @notice A contribution names a wallet that no node registered.
    error NodeNotRegistered(address wallet);
    /// @notice `wallet` appears twice in one round.
    error DuplicateContribution(address wallet);
    /// @notice `nodeId` is zero.
    error InvalidNodeId();
    /// @notice `nodeId` is in the recorder's reserved namespace (first byte 0xff) and the caller is
    /// not a recorder.
    error ReservedNodeId(bytes32 nodeId);
    /// @notice `wallet` is the zero address.
    error InvalidWallet();
    /// @notice `nodeId` is already bound to `wallet`.
    error NodeAlreadyRegistered(bytes32 nodeId, address wallet);
    /// @notice `wallet` is already bound to `nodeId`.
    error WalletAlreadyRegistered(address wallet, bytes32 nodeId);
    /// @notice The registration signature expired at `deadline` (unix seconds).
    error RegistrationExpired(uint256 deadline);
    /// @notice The signature is not `wallet`'s EIP-712 signature of this registration.
    error InvalidRegistrationSignature(bytes32 nodeId, address wallet);
    /// @notice `claim(0)`.
    error ZeroClaim();
    /// @notice `node` asked for `requested` but only `available` is claimable.
    error InsufficientClaimable(address node, uint256 available, uint256 requested);
    /// @notice `node` has nothing to claim.
    error NothingToClaim(address node);

    /**
     * @notice Deploys the ledger and its reward token (this ledger becomes the token's only minter).
     * @param tokenName ERC-20 name of the reward token.
     * @param tokenSymbol ERC-20 symbol of the reward token.
     * @param admin Receives DEFAULT_ADMIN_ROLE and PAUSER_ROLE.
     * @param recorder Receives RECORDER_ROLE.
     */
    constructor(
        string memory tokenName,
        string memory tokenSymbol,
        address admin,
        address recorder
    ) EIP712("FedLedger", "1") {
        if (admin == address(0) || recorder == address(0)) revert ZeroAddress();
        token = new RewardToken(tokenName, tokenSymbol, address(this));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(RECORDER_ROLE, recorder);
    }

    // ----------------------------------------------------------------------------------------------
    // Runs and rounds (RECORDER_ROLE)
    // ----------------------------------------------------------------------------------------------

    /**
     * @notice Registers a run, its reward policy (formula id and ABI-encoded parameters) and what its
     * scores are computed from: `specHash`, the keccak256 of the run's spec document (dataset
     * digest, validation data, engine and model versions, evaluation settings, initial model),
     * which the coordinator publishes under that hash so anyone can re-execute the scoring.
     * @dev Only RECORDER_ROLE, when not paused. Emits {RunRegistered}.
     * @param runId The run id (non-zero, unique).
     * @param policyId The reward formula id (non-zero).
     * @param policyParams The formula's ABI-encoded parameters (may be empty).
     * @param specHash keccak256 of the run's spec document (may be zero: no commitment).
     */
    function registerRun(
        bytes32 runId,
        bytes32 policyId,
        bytes calldata policyParams,
        bytes32 specHash
    ) external onlyRole(RECORDER_ROLE) whenNotPaused {
        if (runId == bytes32(0)) revert InvalidRunId();
        if (policyId == bytes32(0)) revert InvalidPolicyId();
        RunState storage run = _runs[runId];
        if (run.registered) revert RunAlreadyRegistered(runId);
        run.registered = true;
        RunPolicy storage policy = _policies[runId];
        policy.policyId = policyId;
        policy.params = policyParams;
        if (specHash != bytes32(0)) policy.specHash = specHash;
        emit RunRegistered(runId, policyId, policyParams, specHash);
    }

    /**
     * @notice Records one round of a registered run: its new global model hash and every
     * contribution. Each rewarded contribution mints its reward to this ledger and credits the node.
     * @dev Only RECORDER_ROLE, when not paused. Rounds of a run go strictly up (the first may be any
     * number, gaps are allowed); every `node` must be a registered wallet and appear at most once.
     * Emits, per contribution, the token's `Transfer(0, ledger, reward)` (if `reward > 0`) then
     * {ContributionRecorded}; then one {RoundRecorded}.
     * @param runId A registered run.
     * @param round The round number, above the run's last recorded round.
     * @param modelHash Hash of the new global model (non-zero).
     * @param contributions The round's contributions (may be empty).
     */
    function recordRound(
        bytes32 runId,
        uint32 round,
        bytes32 modelHash,
        Contribution[] calldata contributions
    ) external onlyRole(RECORDER_ROLE) whenNotPaused {
        if (modelHash == bytes32(0)) revert InvalidModelHash();
        RunState memory run = _runs[runId];
        if (!run.registered) revert RunNotRegistered(runId);
        if (run.roundCount != 0 && round <= run.lastRound) {
            if (_modelHashes[runId][round] != bytes32(0)) revert RoundAlreadyRecorded(runId, round);
            revert RoundNotIncreasing(runId, round, run.lastRound);
        }
        _modelHashes[runId][round] = modelHash;

        // Wallets seen in this round, in transient storage: cleared when the transaction ends.
        bytes32 seen = keccak256(abi.encode(_SEEN_NAMESPACE, runId, round));
        uint256 total;
        uint256 count = contributions.length;
        for (uint256 i; i < count; ) {
            uint256 reward = _recordContribution(runId, round, seen, contributions[i]);
            // Cannot overflow: every reward fits in 120 bits and there are far fewer than 2^136.
            unchecked {
                total += reward;
                ++i;
            }
        }

        run.roundCount += 1;
        run.lastRound = round;
        if (total != 0) {
            run.totalReward = (uint256(run.totalReward) + total).toUint128();
            totalRecorded += total;
        }
        _runs[runId] = run;
        emit RoundRecorded(runId, round, modelHash, count, total);
    }

    /// @dev Checks and credits one contribution, mints its reward to this ledger and logs it.
    function _recordContribution(
        bytes32 runId,
        uint32 round,
        bytes32 seen,
        Contribution calldata c
    ) private returns (uint256 reward) {
        address node = c.node;
        TransientSlot.BooleanSlot seenSlot = seen.deriveMapping(node).asBoolean();
        if (seenSlot.tload()) revert DuplicateContribution(node);
        seenSlot.tstore(true);

        Account storage account = _accounts[node];
        (bool registered, uint120 credited) = (account.registered, account.claimable);
        if (!registered) revert NodeNotRegistered(node);
        reward = c.reward;
        if (reward != 0) {
            account.claimable = (uint256(credited) + reward).toUint120();
            token.mint(address(this), reward);
        }
        emit ContributionRecorded(
            runId,
            round,
            node,
            c.samples,
            c.lossBefore,
            c.lossAfter,
            c.updateHash,
            reward
        );
    }

    // ----------------------------------------------------------------------------------------------
    // Nodes
    // ----------------------------------------------------------------------------------------------

    /**
     * @notice Binds `nodeId` to `wallet`, proven by `wallet`'s EIP-712 signature of
     * `RegisterNode(bytes32 nodeId,address wallet,uint256 deadline)` in this ledger's domain
     * (name "FedLedger", version "1"). Anyone may relay it. A binding is permanent: each node id and
     * each wallet can be registered once. Node ids whose first byte is 0xff are reserved for the
     * nodes the coordinator runs itself (simulated nodes): only a recorder may register them, so
     * nobody can squat them and leave those nodes unpayable.
     * @dev Smart-contract wallets are supported through ERC-1271. Opens the wallet's balance slot on
     * the {token} ({RewardToken-openAccount}). Emits {NodeRegistered}.
     * @param nodeId The node id (non-zero, not yet registered).
     * @param wallet The node's wallet (not yet registered).
     * @param deadline Last unix timestamp (inclusive) at which the signature is accepted.
     * @param signature `wallet`'s signature (65-byte ECDSA for an EOA, as from `eth_signTypedData_v4`).
     */
    function registerNode(
        bytes32 nodeId,
        address wallet,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes memory err = _registrationError(nodeId, wallet, deadline, signature);
        if (err.length != 0) {
            assembly ("memory-safe") {
                revert(add(err, 32), mload(err))
            }
        }
        _bind(nodeId, wallet);
    }

    /**
     * @notice Registers many nodes in one transaction (a coordinator's simulated nodes, in batches).
     * Each entry is checked exactly as {registerNode} checks it. An entry already bound as asked is
     * a no-op; an entry {registerNode} would revert for is skipped with {NodeRegistrationSkipped}
     * (the error's selector) instead of reverting the whole batch, so one bad entry cannot hold the
     * others back.
     * @dev Reserved ids (first byte 0xff) need RECORDER_ROLE, as in {registerNode}. Emits
     * {NodeRegistered} per entry bound.
     * @param registrations The entries: node id, wallet, deadline and the wallet's signature.
     * @return registered How many entries this call bound.
     */
    function registerNodes(
        NodeRegistration[] calldata registrations
    ) external returns (uint256 registered) {
        uint256 count = registrations.length;
        for (uint256 i; i < count; ) {
            NodeRegistration calldata r = registrations[i];
            if (_nodeWallets[r.nodeId] != r.wallet || r.wallet == address(0)) {
                bytes memory err = _registrationError(r.nodeId, r.wallet, r.deadline, r.signature);
                if (err.length == 0) {
                    _bind(r.nodeId, r.wallet);
                    ++registered;
                } else {
                    emit NodeRegistrationSkipped(r.nodeId, r.wallet, bytes4(err));
                }
            }
            unchecked {
                ++i;
            }
        }
    }

    /// @dev The custom error {registerNode} reverts with for this entry, ABI-encoded, or empty.
    function _registrationError(
        bytes32 nodeId,
        address wallet,
        uint256 deadline,
        bytes calldata signature
    ) private view returns (bytes memory) {
        if (nodeId == bytes32(0)) return abi.encodeWithSelector(InvalidNodeId.selector);
        if (nodeId[0] == RESERVED_NODE_ID_PREFIX && !hasRole(RECORDER_ROLE, msg.sender)) {
            return abi.encodeWithSelector(ReservedNodeId.selector, nodeId);
        }
        if (wallet == address(0)) return abi.encodeWithSelector(InvalidWallet.selector);
        if (block.timestamp > deadline) {
            return abi.encodeWithSelector(RegistrationExpired.selector, deadline);
        }
        address boundWallet = _nodeWallets[nodeId];
        if (boundWallet != address(0)) {
            return abi.encodeWithSelector(NodeAlreadyRegistered.selector, nodeId, boundWallet);
        }
        bytes32 boundNode = _walletNodes[wallet];
        if (boundNode != bytes32(0)) {
            return abi.encodeWithSelector(WalletAlreadyRegistered.selector, wallet, boundNode);
        }
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(REGISTER_NODE_TYPEHASH, nodeId, wallet, deadline))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(wallet, digest, signature)) {
            return abi.encodeWithSelector(InvalidRegistrationSignature.selector, nodeId, wallet);
        }
        return "";
    }

    function _bind(bytes32 nodeId, address wallet) private {
        _nodeWallets[nodeId] = wallet;
        _walletNodes[wallet] = nodeId;
        _accounts[wallet].registered = true;
        // The relayer (usually the coordinator) pays for the wallet's token balance slot now, so the
        // node's first claim from its own wallet costs what every later claim does.
        token.openAccount(wallet);
        emit NodeRegistered(nodeId, wallet);
    }

    // ----------------------------------------------------------------------------------------------
    // Claims
    // ----------------------------------------------------------------------------------------------

    /**
     * @notice Transfers `amount` of the caller's credited rewards to the caller.
     * @dev When not paused. Emits the token's `Transfer(ledger, caller, amount)` then {Claimed}.
     * @param amount Amount in token wei (non-zero, at most `claimable(msg.sender)`).
     */
    function claim(uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroClaim();
        _claim(msg.sender, amount);
    }

    /**
     * @notice Transfers all of the caller's credited rewards to the caller.
     * @dev When not paused. Reverts with {NothingToClaim} when there is nothing. Emits the token's
     * `Transfer(ledger, caller, amount)` then {Claimed}.
     * @return amount The amount claimed, in token wei.
     */
    function claimAll() external whenNotPaused returns (uint256 amount) {
        amount = _accounts[msg.sender].claimable;
        if (amount == 0) revert NothingToClaim(msg.sender);
        _claim(msg.sender, amount);
    }

    /// @dev Debits `amount` from `node`'s claimable balance, adds it to its claimed total and pays it.
    function _claim(address node, uint256 amount) private {
        Account storage account = _accounts[node];
        (uint120 available, uint120 claimed) = (account.claimable, account.claimed);
        if (amount > available) revert InsufficientClaimable(node, available, amount);
        // amount <= available < 2^120; claimed + amount is range-checked by the cast.
        unchecked {
            (account.claimable, account.claimed) = (
                available - uint120(amount),
                (uint256(claimed) + amount).toUint120()
            );
        }
        token.transfer(node, amount);
        emit Claimed(node, amount);
    }

    // ----------------------------------------------------------------------------------------------
    // Pausing (PAUSER_ROLE)
    // ----------------------------------------------------------------------------------------------

    /**
     * @notice Pauses run registration, round recording and claiming.
     * @dev Only PAUSER_ROLE. Emits {Paused}.
     */
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /**
     * @notice Resumes run registration, round recording and claiming.
     * @dev Only PAUSER_ROLE. Emits {Unpaused}.
     */
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ----------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------

    /**
     * @notice Rewards credited to `wallet` and not yet claimed (held by this ledger).
     * @param wallet A node wallet.
     * @return Amount in token wei.
     */
    function claimable(address wallet) external view returns (uint256) {
        return _accounts[wallet].claimable;
    }

    /**
     * @notice Rewards `wallet` has claimed so far.
     * @param wallet A node wallet.
     * @return Amount in token wei.
     */
    function totalClaimed(address wallet) external view returns (uint256) {
        return _accounts[wallet].claimed;
    }

    /**
     * @notice The wallet bound to `nodeId` (zero if unregistered).
     * @param nodeId A node id.
     * @return wallet The bound wallet.
     */
    function nodeWallet(bytes32 nodeId) external view returns (address wallet) {
        return _nodeWallets[nodeId];
    }

    /**
     * @notice The node id bound to `wallet` (zero if unregistered).
     * @param wallet A wallet.
     * @return nodeId The bound node id.
     */
    function walletNode(address wallet) external view returns (bytes32 nodeId) {
        return _walletNodes[wallet];
    }

    /**
     * @notice The reward policy of `runId`, to recompute its rewards.
     * @param runId A run.
     * @return policyId The formula id (zero if the run is unregistered).
     * @return policyParams The formula's ABI-encoded parameters.
     */
    function runPolicy(
        bytes32 runId
    ) external view returns (bytes32 policyId, bytes memory policyParams) {
        RunPolicy storage policy = _policies[runId];
        return (policy.policyId, policy.params);
    }

    /**
     * @notice The spec hash `runId` was registered with (zero when unregistered or none given).
     * @param runId The run id.
     * @return specHash keccak256 of the run's spec document.
     */
    function runSpec(bytes32 runId) external view returns (bytes32 specHash) {
        return _policies[runId].specHash;
    }

    /**
     * @notice The progress of `runId`.
     * @param runId A run.
     * @return registered Whether the run is registered.
     * @return roundCount Number of rounds recorded.
     * @return lastRecordedRound The last recorded round (meaningful only when `roundCount > 0`).
     * @return totalReward Sum of the run's rewards, in token wei.
     */
    function runState(
        bytes32 runId
    )
        external
        view
        returns (bool registered, uint32 roundCount, uint32 lastRecordedRound, uint256 totalReward)
    {
        RunState memory run = _runs[runId];
        return (run.registered, run.roundCount, run.lastRound, run.totalReward);
    }

    /**
     * @notice The last recorded round of `runId` (0 also when none: check {runState}'s roundCount).
     * @param runId A run.
     * @return The last recorded round.
     */
    function lastRound(bytes32 runId) external view returns (uint32) {
        return _runs[runId].lastRound;
    }

    /**
     * @notice Whether `round` of `runId` is recorded.
     * @param runId A run.
     * @param round A round.
     * @return True when recorded.
     */
    function isRecorded(bytes32 runId, uint32 round) external view returns (bool) {
        return _modelHashes[runId][round] != bytes32(0);
    }

    /**
     * @notice The global model hash recorded for `round` of `runId` (zero if not recorded).
     * @param runId A run.
     * @param round A round.
     * @return The model hash.
     */
    function roundModelHash(bytes32 runId, uint32 round) external view returns (bytes32) {
        return _modelHashes[runId][round];
    }

    /**
     * @notice The EIP-712 digest `wallet` signs to register as `nodeId` (for off-chain tooling).
     * @param nodeId The node id.
     * @param wallet The wallet.
     * @param deadline The signature deadline.
     * @return The typed-data hash.
     */
    function registrationDigest(
        bytes32 nodeId,
        address wallet,
        uint256 deadline
    ) external view returns (bytes32) {
        return
            _hashTypedDataV4(keccak256(abi.encode(REGISTER_NODE_TYPEHASH, nodeId, wallet, deadline)));
    }
}
