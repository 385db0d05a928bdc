// The coordinator's side of a secure aggregation session. It routes ciphertexts it cannot read,
// sums the masked inputs and, from the shares the survivors reveal, rebuilds exactly what it needs
// to strip the masks: the self-mask seed b_u of every client whose input is in the sum, and the
// mask-agreement secret key s_sk of every client that dropped after sharing its keys (to remove
// the pair masks the survivors still carry for it). It never holds b_u and s_sk of the same
// client, so it never sees an individual input.
//
// Each round: feed client messages to receive*(), then close the round with close*() (when all
// expected clients answered, see awaiting(), or at the deadline). Clients that did not answer by
// then have dropped; late messages are rejected.
//
//   const server = new SecAggServer(config);
//   for (m of advertisements) server.receiveAdvertiseKeys(m);  broadcast(server.closeAdvertiseKeys());
//   for (m of shareKeys) server.receiveShareKeys(m);           for (d of server.closeShareKeys()) send(d.to, d);
//   for (m of maskedInputs) server.receiveMaskedInput(m);      broadcast(server.closeMaskedInput());
//   for (m of unmaskings) server.receiveUnmasking(m);          const { sum, survivors, dropped } = server.finish();
import { decodeSum } from "./fixed-point-encoding.js";
import { applyMask, deriveSeed, SEED_BYTES } from "./mask-prg.js";
import type { PairingGraph } from "./pairing-graph.js";
import { ringVectorFromBase64 } from "./ring-vector-codec.js";
import { encodingOf, pairingGraphFor, parseConfig, type SecAggConfig } from "./secagg-config.js";
import { SecAggError } from "./secagg-error.js";
import { selfMaskCommitment } from "./self-mask-commitment.js";
import { combineShares, shareFromHex, type ShamirShare } from "./shamir-secret-sharing.js";
import {
  AdvertiseKeysMessageSchema,
  MaskedInputMessageSchema,
  parseMessage,
  ShareKeysMessageSchema,
  UnmaskingMessageSchema,
  type AdvertiseKeysMessage,
  type KeyRosterMessage,
  type MaskedInputMessage,
  type ShareDeliveryMessage,
  type ShareKeysMessage,
  type UnmaskingMessage,
  type UnmaskRequestMessage,
} from "./wire-messages.js";
import { agree, privateKeyFromRaw, publicKeyHexOf, X25519_KEY_BYTES } from "./x25519-keys.js";

export type ServerStage = "advertise-keys" | "share-keys" | "masked-input" | "unmasking" | "done";

export interface SecAggResult {
  /** The sum of the survivors' (clipped, fixed-point) inputs. */
  readonly sum: Float32Array;
  /** Clients whose input is in the sum (U3), sorted. */
  readonly survivors: string[];
  /** Clients that advertised keys but whose input is not in the sum, sorted. */
  readonly dropped: string[];
}

type RosterEntry = KeyRosterMessage["clients"][number];

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class SecAggServer {
  readonly config: SecAggConfig;
  private stageNow: ServerStage = "advertise-keys";
  private readonly advertised = new Map<string, AdvertiseKeysMessage>();
  private roster = new Map<string, RosterEntry>();
  private graph: PairingGraph = new Map();
  private readonly shared = new Map<string, ShareKeysMessage>();
  /** U2 after pruning: clients whose shares were delivered and who may send a masked input. */
  private sharedSet = new Set<string>();
  private readonly masked = new Map<string, { text: string; vector: Uint32Array }>();
  private survivorSet = new Set<string>();
  private readonly unmaskings = new Map<string, UnmaskingMessage>();

  constructor(config: SecAggConfig) {
    this.config = parseConfig(config);
  }

  get stage(): ServerStage {
    return this.stageNow;
  }

  /** Clients expected in the current round that have not answered yet. */
  awaiting(): string[] {
    const expected =
      this.stageNow === "share-keys"
        ? [...this.roster.keys()]
        : this.stageNow === "masked-input"
          ? [...this.sharedSet]
          : this.stageNow === "unmasking"
            ? [...this.survivorSet]
            : [];
    const answered =
      this.stageNow === "share-keys"
        ? this.shared
        : this.stageNow === "masked-input"
          ? this.masked
          : this.unmaskings;
    return expected.filter((c) => !answered.has(c)).sort(byId);
  }

  private expectStage(stage: ServerStage, what: string): void {
    if (this.stageNow !== stage) {
      throw new SecAggError(
        "protocol-violation",
        `${what} is not accepted at stage ${this.stageNow} (late or out of order)`,
      );
    }
  }

  private requireAtLeastThreshold(count: number, what: string): void {
    if (count < this.config.threshold) {
      throw new SecAggError(
        "too-few-clients",
        `${what}: ${count} clients left, fewer than the threshold ${this.config.threshold}; the round cannot complete`,
      );
    }
  }

  /** Accepts a repeat of an identical message (a retry), rejects a different second message. */
  private checkRepeat(seen: string | undefined, now: string, what: string): boolean {
    if (seen === undefined) return false;
    if (seen !== now)
      throw new SecAggError("protocol-violation", `${what}: a second, different message`);
    return true;
  }

  private holders(owner: string): string[] {
    return [owner, ...this.graph.get(owner)!];
  }

  // Round 0 ------------------------------------------------------------------------------------

  receiveAdvertiseKeys(message: AdvertiseKeysMessage): void {
    this.expectStage("advertise-keys", "AdvertiseKeys");
    const m = parseMessage(AdvertiseKeysMessageSchema, message, this.config.sessionId);
    const before = this.advertised.get(m.clientId);
    if (
      this.checkRepeat(before && JSON.stringify(before), JSON.stringify(m), `keys of ${m.clientId}`)
    ) {
      return;
    }
    if (this.advertised.size >= this.config.maxClients) {
      throw new SecAggError(
        "protocol-violation",
        `session is full (${this.config.maxClients} clients); ${m.clientId} cannot join`,
      );
    }
    this.advertised.set(m.clientId, m);
  }

  /** Ends round 0: fixes U1 and the pairing graph, and returns the roster every client gets. */
  closeAdvertiseKeys(): KeyRosterMessage {
    this.expectStage("advertise-keys", "closing AdvertiseKeys");
    this.requireAtLeastThreshold(this.advertised.size, "AdvertiseKeys");
    const keys = [...this.advertised.values()].flatMap((m) => [m.cPublicKey, m.sPublicKey]);
    if (new Set(keys).size !== keys.length) {
      throw new SecAggError("protocol-violation", "two advertised public keys are equal");
    }
    const ids = [...this.advertised.keys()].sort(byId);
    const clients = ids.map((clientId, i) => {
      const { cPublicKey, sPublicKey, signature } = this.advertised.get(clientId)!;
      return {
        clientId,
        index: i + 1,
        cPublicKey,
        sPublicKey,
        ...(signature === undefined ? {} : { signature }),
      };
    });
    this.graph = pairingGraphFor(this.config, ids);
    this.roster = new Map(clients.map((c) => [c.clientId, c]));
    this.stageNow = "share-keys";
    return { type: "secagg/key-roster", sessionId: this.config.sessionId, clients };
  }

  // Round 1 ------------------------------------------------------------------------------------

  receiveShareKeys(message: ShareKeysMessage): void {
    this.expectStage("share-keys", "ShareKeys");
    const m = parseMessage(ShareKeysMessageSchema, message, this.config.sessionId);
    if (!this.roster.has(m.clientId)) {
      throw new SecAggError("protocol-violation", `${m.clientId} is not in the roster`);
    }
    const before = this.shared.get(m.clientId);
    if (
      this.checkRepeat(
        before && JSON.stringify(before),
        JSON.stringify(m),
        `shares of ${m.clientId}`,
      )
    ) {
      return;
    }
    const neighbours = this.graph.get(m.clientId)!;
    const recipients = new Set(m.ciphertexts.map((c) => c.to));
    if (
      recipients.size !== m.ciphertexts.length ||
      recipients.size !== neighbours.size ||
      [...recipients].some((r) => !neighbours.has(r))
    ) {
      throw new SecAggError(
        "protocol-violation",
        `${m.clientId} must send exactly one ciphertext to each of its ${neighbours.size} neighbours`,
      );
    }
    this.shared.set(m.clientId, m);
  }

  /**
   * Ends round 1: fixes U2 and returns one delivery per client in it, holding the ciphertexts its
   * neighbours in U2 addressed to it. A client whose secrets would have fewer than t holders left
   * in U2 (possible with SecAgg+ neighbourhoods) is dropped here, before anyone masks with it.
   */
  closeShareKeys(): ShareDeliveryMessage[] {
    this.expectStage("share-keys", "closing ShareKeys");
    const u2 = new Set(this.shared.keys());
    this.requireAtLeastThreshold(u2.size, "ShareKeys");
    for (let pruned = true; pruned;) {
      pruned = false;
      for (const u of u2) {
        if (this.holders(u).filter((h) => u2.has(h)).length < this.config.threshold) {
          u2.delete(u);
          pruned = true;
        }
      }
    }
    this.requireAtLeastThreshold(u2.size, "ShareKeys, after dropping clients with too few holders");
    this.sharedSet = u2;
    this.stageNow = "masked-input";
    return [...u2].sort(byId).map((to) => ({
      type: "secagg/share-delivery",
      sessionId: this.config.sessionId,
      to,
      ciphertexts: [...this.graph.get(to)!]
        .filter((from) => u2.has(from))
        .sort(byId)
        .map((from) => ({
          from,
          ciphertext: this.shared.get(from)!.ciphertexts.find((c) => c.to === to)!.ciphertext,
        })),
    }));
  }

  // Round 2 ------------------------------------------------------------------------------------

  receiveMaskedInput(message: MaskedInputMessage): void {
    this.expectStage("masked-input", "MaskedInput");
    const m = parseMessage(MaskedInputMessageSchema, message, this.config.sessionId);
    if (!this.sharedSet.has(m.clientId)) {
      throw new SecAggError(
        "protocol-violation",
        `${m.clientId} did not complete ShareKeys, its masked input cannot be unmasked`,
      );
    }
    if (
      this.checkRepeat(this.masked.get(m.clientId)?.text, m.maskedInput, `input of ${m.clientId}`)
    ) {
      return;
    }
    const vector = ringVectorFromBase64(
      m.maskedInput,
      this.config.vectorLength,
      encodingOf(this.config).ringBits,
    );
    this.masked.set(m.clientId, { text: m.maskedInput, vector });
  }

  /** Ends round 2: fixes U3 (the inputs in the sum) and returns the request every survivor gets. */
  closeMaskedInput(): UnmaskRequestMessage {
    this.expectStage("masked-input", "closing MaskedInput");
    const u3 = new Set(this.masked.keys());
    this.requireAtLeastThreshold(u3.size, "MaskedInput");
    // Every secret that must be rebuilt needs t holders among U3, the only clients asked to unmask.
    for (const owner of this.sharedSet) {
      const needed = u3.has(owner) || [...this.graph.get(owner)!].some((v) => u3.has(v));
      const left = this.holders(owner).filter((h) => u3.has(h) && this.sharedSet.has(h)).length;
      if (needed && left < this.config.threshold) {
        throw new SecAggError(
          "too-few-clients",
          `only ${left} holders of ${owner}'s shares sent a masked input, fewer than the threshold ${this.config.threshold}`,
        );
      }
    }
    this.survivorSet = u3;
    this.stageNow = "unmasking";
    return {
      type: "secagg/unmask-request",
      sessionId: this.config.sessionId,
      survivors: [...u3].sort(byId),
    };
  }

  // Round 3 ------------------------------------------------------------------------------------

  receiveUnmasking(message: UnmaskingMessage): void {
    this.expectStage("unmasking", "Unmasking");
    const m = parseMessage(UnmaskingMessageSchema, message, this.config.sessionId);
    if (!this.survivorSet.has(m.clientId)) {
      throw new SecAggError("protocol-violation", `${m.clientId} was not asked to unmask`);
    }
    const before = this.unmaskings.get(m.clientId);
    if (
      this.checkRepeat(
        before && JSON.stringify(before),
        JSON.stringify(m),
        `unmasking of ${m.clientId}`,
      )
    ) {
      return;
    }
    const holderOf = (owner: string) =>
      owner === m.clientId || (this.graph.get(owner)?.has(m.clientId) ?? false);
    const owners = new Set<string>();
    for (const { owner } of m.selfMaskShares) {
      if (!this.survivorSet.has(owner) || !holderOf(owner) || owners.has(owner)) {
        throw new SecAggError(
          "protocol-violation",
          `${m.clientId} sent an unexpected b share of ${owner}`,
        );
      }
      owners.add(owner);
    }
    for (const { owner } of m.secretKeyShares) {
      if (
        !this.sharedSet.has(owner) ||
        this.survivorSet.has(owner) ||
        !holderOf(owner) ||
        owners.has(owner)
      ) {
        throw new SecAggError(
          "protocol-violation",
          `${m.clientId} sent an unexpected s_sk share of ${owner}`,
        );
      }
      owners.add(owner);
    }
    this.unmaskings.set(m.clientId, m);
  }

  private sharesOf(owner: string, kind: "selfMaskShares" | "secretKeyShares"): ShamirShare[] {
    const shares: ShamirShare[] = [];
    for (const [holder, m] of this.unmaskings) {
      const found = m[kind].find((s) => s.owner === owner);
      if (found) shares.push(shareFromHex(this.roster.get(holder)!.index, found.share));
    }
    return shares;
  }

  private rebuild(owner: string, kind: "selfMaskShares" | "secretKeyShares", bytes: number) {
    const shares = this.sharesOf(owner, kind);
    const what = kind === "selfMaskShares" ? "self-mask seed" : "mask-agreement secret key";
    if (shares.length < this.config.threshold) {
      throw new SecAggError(
        "too-few-clients",
        `only ${shares.length} shares of ${owner}'s ${what} arrived, the threshold is ${this.config.threshold}`,
      );
    }
    try {
      return combineShares(shares, this.config.threshold, bytes);
    } catch (e) {
      if (e instanceof SecAggError && e.code === "inconsistent-shares") {
        throw new SecAggError(
          "inconsistent-shares",
          `shares of ${owner}'s ${what} are inconsistent`,
        );
      }
      throw e;
    }
  }

  /** Ends round 3: rebuilds the needed secrets, strips every mask and decodes the sum. */
  finish(): SecAggResult {
    this.expectStage("unmasking", "finishing");
    this.requireAtLeastThreshold(this.unmaskings.size, "Unmasking");
    const sum = new Uint32Array(this.config.vectorLength);
    for (const { vector } of this.masked.values()) {
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + vector[i]!;
    }
    for (const u of this.survivorSet) {
      const seed = this.rebuild(u, "selfMaskShares", SEED_BYTES);
      if (
        selfMaskCommitment(this.config.sessionId, u, seed) !==
        this.shared.get(u)!.selfMaskCommitment
      ) {
        throw new SecAggError(
          "inconsistent-shares",
          `shares of ${u}'s self-mask seed do not match its commitment`,
        );
      }
      applyMask(sum, seed, -1);
    }
    for (const v of [...this.sharedSet].filter((c) => !this.survivorSet.has(c))) {
      const partners = [...this.graph.get(v)!].filter((u) => this.survivorSet.has(u));
      if (partners.length === 0) continue;
      const secretKey = privateKeyFromRaw(this.rebuild(v, "secretKeyShares", X25519_KEY_BYTES));
      if (publicKeyHexOf(secretKey) !== this.roster.get(v)!.sPublicKey) {
        throw new SecAggError(
          "inconsistent-shares",
          `shares of ${v}'s secret key do not match its public key`,
        );
      }
      const vIndex = this.roster.get(v)!.index;
      for (const u of partners) {
        const seed = deriveSeed(
          agree(secretKey, this.roster.get(u)!.sPublicKey),
          this.config.sessionId,
          "pair-mask",
        );
        // u added +PRG(s_uv) if v > u and -PRG(s_uv) if v < u; take it back out.
        applyMask(sum, seed, vIndex > this.roster.get(u)!.index ? -1 : 1);
      }
    }
    this.stageNow = "done";
    const survivors = [...this.survivorSet].sort(byId);
    return {
      sum: decodeSum(sum, encodingOf(this.config)),
      survivors,
      dropped: [...this.roster.keys()].filter((c) => !this.survivorSet.has(c)).sort(byId),
    };
  }
}
