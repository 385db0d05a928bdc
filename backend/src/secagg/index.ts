/**
 * Secure aggregation for FedLedger: SecAgg (Bonawitz et al. 2017, "Practical Secure Aggregation
 * for Privacy-Preserving Machine Learning") with the SecAgg+ neighbour graph (Bell et al. 2020).
 *
 * What the coordinator learns. Each node sends its update masked with a self mask PRG(b_u) and
 * pairwise masks PRG(s_uv) that cancel in the sum. The coordinator learns the sum of the inputs of
 * the clients listed as `survivors` (as fixed-point values, clipped to [-R, R]), the list of
 * clients that `dropped`, the vector length, and the timing and size of messages. It does not
 * learn any single node's input, nor the sum of any other subset: for every client in the sum it
 * rebuilds only the self-mask seed b_u, and for every client that dropped before sending its
 * masked input only the pair-mask key s_sk, never both for one client.
 *
 * Rounds (messages in wire-messages.ts, all JSON-safe):
 *   0 AdvertiseKeys   each client sends two X25519 public keys: c_pk (share encryption) and
 *                     s_pk (pair-mask agreement); the server returns the roster U1.
 *   1 ShareKeys       each client Shamir-shares (t of its holders) its s_sk and a fresh self-mask
 *                     seed b_u, encrypts each neighbour's shares with AES-256-GCM under
 *                     HKDF(X25519(c_sk_u, c_pk_v)); the server routes the ciphertexts (U2).
 *   2 MaskedInput     y_u = encode(x_u) + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} PRG(s_uv)
 *                     mod 2^32, PRG = AES-256-CTR, s_uv = HKDF(X25519(s_sk_u, s_pk_v)) (U3).
 *   3 Unmasking       each survivor reveals, per peer, the b share if the peer is in U3 or the
 *                     s_sk share if it dropped, never both kinds for one peer (the client
 *                     enforces this across retries); the server rebuilds, strips the masks and
 *                     decodes the sum.
 * Clients may drop at any point; the round completes while at least t clients (and, with SecAgg+,
 * t holders of every secret still needed) remain, and otherwise fails with a SecAggError whose
 * code is "too-few-clients".
 *
 * Threat model. Honest-but-curious coordinator: it follows the protocol but tries to learn
 * individual inputs from what it sees, possibly colluding with up to t - 1 clients; against that
 * the sum is all it learns (with SecAgg+: up to t - 1 colluders in any one client's neighbourhood,
 * see pairing-graph.ts). The threshold is also kept a strict majority of each client's share
 * holders, so even a coordinator that lies about who dropped cannot gather t shares of both b_u
 * and s_sk of an honest client. Not covered (the malicious-server variant of the paper): signed
 * key advertisements against a coordinator that substitutes keys (FedLedger's agent requests are
 * already signed by the node's wallet, which can carry this), and the consistency-check round in
 * which clients sign the survivor set. Clients are assumed to send well-formed inputs: secure
 * aggregation hides updates, so it also hides a poisoned one; robust aggregation (Krum, median,
 * trimmed mean) needs the individual updates and cannot run on the sum.
 *
 * Using it for FedAvg. Sum model deltas, not raw weights, so that a small clip range R fits. With
 * a public cap N on samples per node, node k sends (n_k / N) * delta_k (clipped to [-R, R]) and
 * signs n_k; the coordinator divides the sum by sum_{k in survivors} n_k / N, which is FedAvg's
 * sample-weighted mean delta over the survivors. Choose maxClients = the nodes selected for the
 * round, and a threshold within thresholdBounds(maxShareHolders(config)). Simulated nodes run the
 * four rounds in the coordinator's process (aggregation/in-process-secure-aggregator.ts); remote node agents run
 * SecAggClient themselves over their signed agent calls (nodes/remote-secagg-session.ts, with N
 * the largest sample count the round's agents announced, or equal weights under DP).
 *
 * Rewards. FedLedger's reward policies (loss-improvement, leave-one-out, Shapley) score each node
 * by evaluating its update alone, or in subsets, on the coordinator's validation split. Secure
 * aggregation exists to stop the coordinator from seeing exactly that, so a run has to choose one
 * explicitly, and record the choice on chain with its reward policy:
 *  - per-node loss rewards, no secure aggregation: the coordinator sees every update, scores each
 *    one's effect on the validation loss and splits the pool by score (today's policies; robust
 *    aggregation such as Krum or trimmed mean also needs the individual updates);
 *  - secure aggregation, aggregate rewards: the coordinator sees only the sum. It measures the
 *    validation loss of the round's start model (before) and of the aggregated model (after) and
 *    records both on every contribution of the round, with each surviving node's sample count as
 *    the node signed it (EIP-712, alongside its masked input). The existing formula
 *      score_i = samples_i * max(0, before - after),  reward_i = pool * score_i / sum_j score_j
 *    then pays the whole pool, split by sample counts, to the nodes in `survivors` when the round
 *    lowered the validation loss, and nothing when it did not. Every survivor earns the same reward
 *    per sample: a node is paid for taking part with data, not for the quality of its own update,
 *    which nobody can measure. Sample counts are self-reported; a node that inflates its count
 *    raises its share and the coordinator cannot tell from the sum. Nodes in `dropped` earn
 *    nothing, since their updates are not in the model.
 * The two modes are not mixed within a run, and no per-node score is ever derived from the secure
 * aggregate.
 */
export { SecAggClient, type RevealedShareKind } from "./secagg-client.js";
export { SecAggServer, type SecAggResult, type ServerStage } from "./secagg-server.js";
export {
  runSecureAggregation,
  type DropoutStage,
  type InProcessSession,
} from "./run-in-process.js";
export {
  SecAggConfigSchema,
  parseConfig,
  thresholdBounds,
  maxShareHolders,
  pairingGraphFor,
  encodingOf,
  type SecAggConfig,
} from "./secagg-config.js";
export { SecAggError, type SecAggErrorCode } from "./secagg-error.js";
export {
  fixedPointEncoding,
  encodeVector,
  decodeSum,
  quantisationBound,
  type FixedPointEncoding,
} from "./fixed-point-encoding.js";
export {
  AdvertiseKeysMessageSchema,
  KeyRosterMessageSchema,
  ShareKeysMessageSchema,
  ShareDeliveryMessageSchema,
  MaskedInputMessageSchema,
  UnmaskRequestMessageSchema,
  UnmaskingMessageSchema,
  parseMessage,
  type AdvertiseKeysMessage,
  type KeyRosterMessage,
  type ShareKeysMessage,
  type ShareDeliveryMessage,
  type MaskedInputMessage,
  type UnmaskRequestMessage,
  type UnmaskingMessage,
} from "./wire-messages.js";
