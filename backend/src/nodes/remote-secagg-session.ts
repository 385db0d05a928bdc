// The coordinator's side of one round's secure aggregation with remote node agents: a
// SecAggServer behind the agents' signed HTTP calls. Agents post their messages (advertise-keys,
// share-keys, masked-input, unmasking) and long-poll for the server's answers (roster, delivery,
// unmask-request); drive() closes each stage when every expected agent has answered or at the
// stage's deadline, so agents that drop out at any point are left behind and the library's
// threshold decides whether the round can still complete.
import { z } from "zod";
import { validateCommitment } from "./update-validation.js";
import {
  AdvertiseKeysMessageSchema,
  MaskedInputMessageSchema,
  parseMessage,
  SecAggError,
  SecAggServer,
  ShareKeysMessageSchema,
  UnmaskingMessageSchema,
  type KeyRosterMessage,
  type SecAggConfig,
  type SecAggResult,
  type ShareDeliveryMessage,
  type UnmaskRequestMessage,
} from "../secagg/index.js";
import {
  AgentSecureCommitment,
  hashMaskedInput,
  type SecAggPoll,
  type SecAggPost,
} from "./agent-protocol.js";
import { keysSignedBy } from "./secagg-key-signatures.js";
import type { NodeSubmission } from "./node-submission.js";
import type { UpdateDomain } from "./update-signing.js";

/**
 * Why an agent's SecAgg call was refused; the route answers HTTP 400 for `secagg_malformed` (a
 * body that is not the stage's message: nothing changed, the agent may send a correct one) and 409
 * for the others (the protocol refused it, or the node or the session is out of the round).
 */
export class SecAggCallRefused extends Error {
  constructor(
    readonly code: "secagg_malformed" | "secagg_rejected" | "secagg_excluded" | "secagg_failed",
    message: string,
  ) {
    super(message);
  }
}

export interface RemoteSecAggSessionOptions {
  config: SecAggConfig;
  /** The round's participants (client id = node id) and their registered wallets. */
  participants: readonly { id: string; wallet: `0x${string}` }[];
  /** What every masked input's signed commitment must be for. */
  expect: { runId: `0x${string}`; round: number; domain: UpdateDomain };
  /** Told about every accepted message before the agent gets its answer (run log). */
  onMessage?: (nodeId: string, kind: SecAggPost) => Promise<void> | void;
}

type Stage = "advertise-keys" | "share-keys" | "masked-input" | "unmasking" | "done" | "failed";

export class RemoteSecAggSession {
  readonly server: SecAggServer;
  private readonly wallets: Map<string, `0x${string}`>;
  private stage: Stage = "advertise-keys";
  private readonly advertised = new Set<string>();
  private roster: KeyRosterMessage | undefined;
  private deliveries: Map<string, ShareDeliveryMessage> | undefined;
  private unmaskRequest: UnmaskRequestMessage | undefined;
  private failure: string | undefined;
  private readonly listeners = new Set<() => void>();
  /** node id -> its accepted masked input's signed commitment, as a submission. */
  readonly submissions = new Map<string, NodeSubmission>();
  /** node id -> why a message of it was refused (shown as the node's outcome). */
  readonly refused = new Map<string, string>();

  constructor(private readonly opts: RemoteSecAggSessionOptions) {
    this.server = new SecAggServer(opts.config);
    this.wallets = new Map(opts.participants.map((p) => [p.id, p.wallet]));
  }

  /** Whether the node's keys were accepted in round 0. */
  advertisedBy(nodeId: string): boolean {
    return this.advertised.has(nodeId);
  }

  get config(): SecAggConfig {
    return this.server.config;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /**
   * Resolves when `ready()` holds, or at `deadline` (unix ms); never rejects. The timer alone
   * decides the deadline: Node's timers run on a monotonic clock and Date.now() on the wall
   * clock, so a timer can fire up to a millisecond before Date.now() reaches the deadline, and
   * re-checking Date.now() there would wait forever for an agent that never answers.
   */
  private waitFor(ready: () => boolean, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (ready()) done();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.listeners.add(check);
      check();
    });
  }

  private refuse(nodeId: string, err: unknown): never {
    const message = (err as Error).message;
    this.refused.set(nodeId, message);
    throw new SecAggCallRefused("secagg_rejected", message);
  }

  /** An agent's message for the stage named by the URL; throws SecAggCallRefused. */
  async receive(nodeId: string, kind: SecAggPost, body: unknown): Promise<NodeSubmission | void> {
    if (!this.wallets.has(nodeId)) {
      throw new SecAggCallRefused("secagg_excluded", `${nodeId} is not in this round`);
    }
    if (this.stage === "failed") throw new SecAggCallRefused("secagg_failed", this.failure!);
    const owned = <T extends { clientId: string }>(m: T): T => {
      if (m.clientId !== nodeId) {
        throw new SecAggError(
          "protocol-violation",
          `${nodeId} cannot send ${m.clientId}'s message`,
        );
      }
      return m;
    };
    let submission: NodeSubmission | undefined;
    const sid = this.config.sessionId;
    const shape = <T>(schema: z.ZodType<T>, message: unknown): T => {
      const shaped = schema.safeParse(message);
      if (!shaped.success) {
        const issues = shaped.error.issues.map(
          (x) => `${x.path.join(".") || "body"}: ${x.message}`,
        );
        throw new SecAggCallRefused(
          "secagg_malformed",
          `not a ${kind} message: ${issues.join("; ")}`,
        );
      }
      return shaped.data;
    };
    const parse = <T>(schema: z.ZodType<T>, message: unknown): T =>
      parseMessage(schema, shape(schema, message), sid);
    try {
      switch (kind) {
        case "advertise-keys": {
          const m = owned(parse(AdvertiseKeysMessageSchema, body));
          // Peers check the roster's keys against the nodes' registered wallets; refusing keys
          // that would fail there keeps one bad advertisement from ending the round for all.
          if (!(await keysSignedBy(sid, m, this.wallets.get(nodeId)!))) {
            throw new SignatureRejected(
              `the keys are not signed by ${nodeId}'s registered wallet (keySignatureText, EIP-191)`,
            );
          }
          this.server.receiveAdvertiseKeys(m);
          this.advertised.add(nodeId);
          break;
        }
        case "share-keys":
          this.server.receiveShareKeys(owned(parse(ShareKeysMessageSchema, body)));
          break;
        case "masked-input": {
          const { message, commitment } = shape(MaskedInputBody, body);
          const m = owned(parseMessage(MaskedInputMessageSchema, message, sid));
          submission = await this.checkCommitment(nodeId, m.maskedInput, commitment);
          this.server.receiveMaskedInput(m);
          this.submissions.set(nodeId, submission);
          break;
        }
        case "unmasking":
          this.server.receiveUnmasking(owned(parse(UnmaskingMessageSchema, body)));
          break;
      }
    } catch (err) {
      if (err instanceof SecAggError || err instanceof SignatureRejected) this.refuse(nodeId, err);
      throw err;
    }
    await this.opts.onMessage?.(nodeId, kind);
    this.notify();
    return submission;
  }

  /** The coordinator verifies what the node signed before it accepts the masked input. */
  private async checkCommitment(
    nodeId: string,
    maskedInput: string,
    commitment: AgentSecureCommitment,
  ): Promise<NodeSubmission> {
    const wallet = this.wallets.get(nodeId)!;
    const signed = {
      runId: commitment.runId as `0x${string}`,
      round: commitment.round,
      updateHash: commitment.updateHash as `0x${string}`,
      samples: commitment.samples,
      signature: commitment.signature as `0x${string}`,
    };
    if (hashMaskedInput(maskedInput) !== signed.updateHash.toLowerCase()) {
      throw new SignatureRejected("the signed hash does not match the masked input's bytes");
    }
    const verdict = await validateCommitment({ nodeId, wallet, signed }, this.opts.expect);
    if (!verdict.accepted) throw new SignatureRejected(verdict.reason);
    return {
      nodeId,
      wallet,
      weights: new Float32Array(0),
      signed,
      reportedTrainLoss: commitment.trainLoss,
      ...(commitment.unclipped === undefined ? {} : { unclipped: commitment.unclipped }),
    };
  }

  /** The server's message for this node at `kind`, waiting up to waitMs (undefined: not yet). */
  async poll(
    nodeId: string,
    kind: SecAggPoll,
    waitMs: number,
  ): Promise<KeyRosterMessage | ShareDeliveryMessage | UnmaskRequestMessage | undefined> {
    if (!this.wallets.has(nodeId)) {
      throw new SecAggCallRefused("secagg_excluded", `${nodeId} is not in this round`);
    }
    const ready = () =>
      this.stage === "failed" ||
      (kind === "roster"
        ? this.roster !== undefined
        : kind === "delivery"
          ? this.deliveries !== undefined
          : this.unmaskRequest !== undefined);
    await this.waitFor(ready, Date.now() + waitMs);
    if (this.stage === "failed") throw new SecAggCallRefused("secagg_failed", this.failure!);
    const excluded = (what: string) =>
      new SecAggCallRefused(
        "secagg_excluded",
        `${nodeId} is not in the ${what} (it came too late)`,
      );
    if (kind === "roster") {
      if (!this.roster) return undefined;
      if (!this.roster.clients.some((c) => c.clientId === nodeId)) throw excluded("key roster");
      return this.roster;
    }
    if (kind === "delivery") {
      if (!this.deliveries) return undefined;
      const d = this.deliveries.get(nodeId);
      if (!d) throw excluded("clients that shared their keys");
      return d;
    }
    if (!this.unmaskRequest) return undefined;
    if (!this.unmaskRequest.survivors.includes(nodeId)) {
      throw excluded("clients whose masked input is summed");
    }
    return this.unmaskRequest;
  }

  /**
   * Runs the server through the four stages: AdvertiseKeys closes when every participant has
   * advertised or at `advertiseDeadline` (the round deadline: agents train first), each later
   * stage when every expected agent has answered or `stageTimeoutMs` after it opened. Rejects
   * with the SecAggError of a round that cannot complete (too few clients left).
   */
  async drive(advertiseDeadline: number, stageTimeoutMs: number): Promise<SecAggResult> {
    const s = this.server;
    const n = this.wallets.size;
    try {
      await this.waitFor(() => this.advertised.size >= n, advertiseDeadline);
      this.roster = s.closeAdvertiseKeys();
      this.stage = "share-keys";
      this.notify();
      await this.waitFor(() => s.awaiting().length === 0, Date.now() + stageTimeoutMs);
      this.deliveries = new Map(s.closeShareKeys().map((d) => [d.to, d]));
      this.stage = "masked-input";
      this.notify();
      await this.waitFor(() => s.awaiting().length === 0, Date.now() + stageTimeoutMs);
      this.unmaskRequest = s.closeMaskedInput();
      this.stage = "unmasking";
      this.notify();
      await this.waitFor(() => s.awaiting().length === 0, Date.now() + stageTimeoutMs);
      const result = s.finish();
      this.stage = "done";
      this.notify();
      return result;
    } catch (err) {
      this.fail((err as Error).message);
      throw err;
    }
  }

  /** Ends the session: every waiting and later call of an agent is refused. */
  fail(reason: string): void {
    if (this.stage === "done" || this.stage === "failed") return;
    this.failure = reason;
    this.stage = "failed";
    this.notify();
  }
}

/** A message whose signature does not bind it to the node (keys or masked-input commitment). */
class SignatureRejected extends Error {}

/** A masked input is sent with the node's signed commitment to its bytes and sample count. */
const MaskedInputBody = z.object({
  message: MaskedInputMessageSchema,
  commitment: AgentSecureCommitment,
});
