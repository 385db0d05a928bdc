// One client's side of a secure aggregation session. Create one SecAggClient per session; it keeps
// its key pairs, its self-mask seed and the shares it holds for its peers in memory between
// rounds, and records which kind of share it has revealed for each peer.
//
//   const client = new SecAggClient(nodeId, config);
//   send(client.advertiseKeys());                       // round 0
//   send(client.shareKeys(roster));                     // round 1
//   send(client.maskInput(delivery, update));           // round 2
//   send(client.unmask(unmaskRequest));                 // round 3
//
// Each method runs once per session (unmask excepted: it may be asked again, and answers the same
// or refuses). On a transport failure resend the message it returned; do not call it again.
import { randomBytes } from "node:crypto";
import { Rng } from "../engine/rng.js";
import { encodeVector } from "./fixed-point-encoding.js";
import { applyMask, deriveSeed, SEED_BYTES } from "./mask-prg.js";
import type { PairingGraph } from "./pairing-graph.js";
import { ringVectorToBase64 } from "./ring-vector-codec.js";
import { encodingOf, pairingGraphFor, parseConfig, type SecAggConfig } from "./secagg-config.js";
import { SecAggError } from "./secagg-error.js";
import { selfMaskCommitment } from "./self-mask-commitment.js";
import { splitSecret, shareValueToHex } from "./shamir-secret-sharing.js";
import { decryptShares, encryptShares, shareEncryptionKey } from "./share-encryption.js";
import {
  KeyRosterMessageSchema,
  parseMessage,
  ShareDeliveryMessageSchema,
  UnmaskRequestMessageSchema,
  type AdvertiseKeysMessage,
  type KeyRosterMessage,
  type MaskedInputMessage,
  type ShareDeliveryMessage,
  type ShareKeysMessage,
  type UnmaskingMessage,
  type UnmaskRequestMessage,
} from "./wire-messages.js";
import { agree, generateX25519KeyPair, rawPrivateKey } from "./x25519-keys.js";

type ClientStage = "advertise-keys" | "share-keys" | "masked-input" | "unmasking";
export type RevealedShareKind = "self-mask" | "secret-key";

interface RosterEntry {
  readonly index: number;
  readonly cPublicKey: string;
  readonly sPublicKey: string;
}

interface HeldShares {
  readonly secretKeyShare: string;
  readonly selfMaskShare: string;
}

export class SecAggClient {
  readonly config: SecAggConfig;
  private readonly cKeys = generateX25519KeyPair();
  private readonly sKeys = generateX25519KeyPair();
  private stage: ClientStage = "advertise-keys";
  private roster = new Map<string, RosterEntry>();
  private graph: PairingGraph = new Map();
  private selfMaskSeed: Uint8Array | undefined;
  /** owner -> the shares of the owner's secrets this client holds (its own included). */
  private readonly held = new Map<string, HeldShares>();
  /** peer -> which share of the peer this client has revealed; never both (sign-off). */
  private readonly revealed = new Map<string, RevealedShareKind>();

  constructor(
    readonly clientId: string,
    config: SecAggConfig,
  ) {
    this.config = parseConfig(config);
  }

  private expectStage(stage: ClientStage, what: string): void {
    if (this.stage !== stage) {
      throw new SecAggError(
        "protocol-violation",
        `${this.clientId}: ${what} is not allowed at stage ${this.stage}`,
      );
    }
  }

  private get index(): number {
    return this.roster.get(this.clientId)!.index;
  }

  /** Round 0: the two public keys. */
  advertiseKeys(): AdvertiseKeysMessage {
    // Asking again before the roster arrives returns the same keys; after that it is an error.
    if (this.stage !== "share-keys") this.expectStage("advertise-keys", "advertising keys");
    this.stage = "share-keys";
    return {
      type: "secagg/advertise-keys",
      sessionId: this.config.sessionId,
      clientId: this.clientId,
      cPublicKey: this.cKeys.publicKeyHex,
      sPublicKey: this.sKeys.publicKeyHex,
    };
  }

  /**
   * Round 1: checks the roster, draws the self-mask seed b_u, Shamir-shares s_sk and b_u among
   * itself and its neighbours, and encrypts each neighbour's shares for it.
   */
  shareKeys(rosterMessage: KeyRosterMessage): ShareKeysMessage {
    this.expectStage("share-keys", "sharing keys");
    const roster = parseMessage(KeyRosterMessageSchema, rosterMessage, this.config.sessionId);
    const ids = roster.clients.map((c) => c.clientId);
    const keys = roster.clients.flatMap((c) => [c.cPublicKey, c.sPublicKey]);
    const indices = roster.clients.map((c) => c.index);
    if (new Set(ids).size !== ids.length || new Set(indices).size !== indices.length) {
      throw new SecAggError("protocol-violation", "roster repeats a client or an index");
    }
    if (new Set(keys).size !== keys.length) {
      throw new SecAggError("protocol-violation", "roster repeats a public key");
    }
    const me = roster.clients.find((c) => c.clientId === this.clientId);
    if (
      !me ||
      me.cPublicKey !== this.cKeys.publicKeyHex ||
      me.sPublicKey !== this.sKeys.publicKeyHex
    ) {
      throw new SecAggError("protocol-violation", `roster does not carry ${this.clientId}'s keys`);
    }
    if (roster.clients.length < this.config.threshold) {
      throw new SecAggError(
        "too-few-clients",
        `only ${roster.clients.length} clients advertised keys, threshold is ${this.config.threshold}`,
      );
    }
    if (roster.clients.length > this.config.maxClients) {
      throw new SecAggError(
        "protocol-violation",
        `${roster.clients.length} clients exceed maxClients ${this.config.maxClients} (the sum could overflow)`,
      );
    }
    const ordered = [...roster.clients].sort((a, b) => a.index - b.index);
    this.roster = new Map(ordered.map((c) => [c.clientId, c]));
    this.graph = pairingGraphFor(
      this.config,
      ordered.map((c) => c.clientId),
    );

    const neighbours = [...this.graph.get(this.clientId)!];
    const holders = [this.clientId, ...neighbours];
    const xs = holders.map((h) => this.roster.get(h)!.index);
    const seed = new Uint8Array(randomBytes(SEED_BYTES));
    this.selfMaskSeed = seed;
    const skShares = splitSecret(rawPrivateKey(this.sKeys.privateKey), this.config.threshold, xs);
    const bShares = splitSecret(seed, this.config.threshold, xs);
    this.held.set(this.clientId, {
      secretKeyShare: shareValueToHex(skShares[0]!),
      selfMaskShare: shareValueToHex(bShares[0]!),
    });
    const ciphertexts = neighbours.map((to, i) => {
      const key = shareEncryptionKey(
        this.cKeys.privateKey,
        this.roster.get(to)!.cPublicKey,
        this.config.sessionId,
      );
      const ciphertext = encryptShares(key, this.config.sessionId, {
        from: this.clientId,
        to,
        secretKeyShare: shareValueToHex(skShares[i + 1]!),
        selfMaskShare: shareValueToHex(bShares[i + 1]!),
      });
      return { to, ciphertext };
    });
    this.stage = "masked-input";
    return {
      type: "secagg/share-keys",
      sessionId: this.config.sessionId,
      clientId: this.clientId,
      selfMaskCommitment: selfMaskCommitment(this.config.sessionId, this.clientId, seed),
      ciphertexts,
    };
  }

  /**
   * Round 2: decrypts (and so authenticates) the shares its neighbours sent, then masks the input:
   * y = encode(x) + PRG(b_u) + sum_{v > u} PRG(s_uv) - sum_{v < u} PRG(s_uv) mod 2^32, over the
   * neighbours v that completed round 1 (exactly the senders in the delivery).
   */
  maskInput(deliveryMessage: ShareDeliveryMessage, input: Float32Array): MaskedInputMessage {
    this.expectStage("masked-input", "masking the input");
    const delivery = parseMessage(
      ShareDeliveryMessageSchema,
      deliveryMessage,
      this.config.sessionId,
    );
    if (delivery.to !== this.clientId) {
      throw new SecAggError(
        "protocol-violation",
        `share delivery for ${delivery.to} reached ${this.clientId}`,
      );
    }
    if (input.length !== this.config.vectorLength) {
      throw new SecAggError(
        "protocol-violation",
        `input has ${input.length} values, the session expects ${this.config.vectorLength}`,
      );
    }
    const neighbours = this.graph.get(this.clientId)!;
    const received = new Map<string, HeldShares>();
    for (const { from, ciphertext } of delivery.ciphertexts) {
      if (!neighbours.has(from) || received.has(from)) {
        throw new SecAggError("protocol-violation", `unexpected shares from ${from}`);
      }
      const key = shareEncryptionKey(
        this.cKeys.privateKey,
        this.roster.get(from)!.cPublicKey,
        this.config.sessionId,
      );
      const payload = decryptShares(key, this.config.sessionId, from, this.clientId, ciphertext);
      received.set(from, payload);
    }
    if (received.size + 1 < this.config.threshold) {
      throw new SecAggError(
        "too-few-clients",
        `${this.clientId} received shares from ${received.size} neighbours; with itself that is below the threshold ${this.config.threshold}`,
      );
    }
    for (const [from, shares] of received) this.held.set(from, shares);

    const encoding = encodingOf(this.config);
    const masked = encodeVector(input, encoding, stochasticSource());
    applyMask(masked, this.selfMaskSeed!, 1);
    for (const peer of received.keys()) {
      const seed = deriveSeed(
        agree(this.sKeys.privateKey, this.roster.get(peer)!.sPublicKey),
        this.config.sessionId,
        "pair-mask",
      );
      applyMask(masked, seed, this.roster.get(peer)!.index > this.index ? 1 : -1);
    }
    this.stage = "unmasking";
    return {
      type: "secagg/masked-input",
      sessionId: this.config.sessionId,
      clientId: this.clientId,
      maskedInput: ringVectorToBase64(masked, encoding.ringBits),
    };
  }

  /**
   * Round 3: for every peer whose shares it holds, reveals the b share if the peer is among the
   * survivors and the s_sk share if it dropped. Refuses, without revealing anything, a request
   * that would reveal the other kind of share for a peer than an earlier request did. Repeating
   * the same request (a retry) returns the same answer.
   */
  unmask(requestMessage: UnmaskRequestMessage): UnmaskingMessage {
    this.expectStage("unmasking", "unmasking");
    const request = parseMessage(UnmaskRequestMessageSchema, requestMessage, this.config.sessionId);
    const survivors = new Set(request.survivors);
    if (survivors.size !== request.survivors.length) {
      throw new SecAggError("protocol-violation", "unmask request repeats a survivor");
    }
    for (const s of survivors) {
      if (!this.roster.has(s)) {
        throw new SecAggError("protocol-violation", `unmask request names unknown client ${s}`);
      }
    }
    if (!survivors.has(this.clientId)) {
      throw new SecAggError(
        "protocol-violation",
        `unmask request leaves out ${this.clientId}, which sent its masked input`,
      );
    }
    if (survivors.size < this.config.threshold) {
      throw new SecAggError(
        "too-few-clients",
        `only ${survivors.size} survivors, threshold is ${this.config.threshold}`,
      );
    }
    const plan = [...this.held.keys()].map(
      (owner) => [owner, survivors.has(owner) ? "self-mask" : "secret-key"] as const,
    );
    for (const [owner, kind] of plan) {
      const before = this.revealed.get(owner);
      if (before !== undefined && before !== kind) {
        throw new SecAggError(
          "sign-off-violation",
          `${this.clientId} already revealed the ${before} share of ${owner}; it will not reveal the ${kind} share too`,
        );
      }
    }
    const message: UnmaskingMessage = {
      type: "secagg/unmasking",
      sessionId: this.config.sessionId,
      clientId: this.clientId,
      selfMaskShares: [],
      secretKeyShares: [],
    };
    for (const [owner, kind] of plan) {
      this.revealed.set(owner, kind);
      const shares = this.held.get(owner)!;
      if (kind === "self-mask") {
        message.selfMaskShares.push({ owner, share: shares.selfMaskShare });
      } else {
        message.secretKeyShares.push({ owner, share: shares.secretKeyShare });
      }
    }
    return message;
  }

  /** Which share of each peer this client has revealed so far. */
  revealedShares(): ReadonlyMap<string, RevealedShareKind> {
    return new Map(this.revealed);
  }
}

/** Uniform [0, 1) for stochastic rounding, seeded from the OS (not reproducible, nor needed). */
function stochasticSource(): () => number {
  const rng = new Rng(randomBytes(4).readUInt32LE(0));
  return () => rng.next();
}
