import { expect } from "chai";
import "../helpers/chai-near.js";
import { randomBytes } from "node:crypto";
import {
  decodeSum,
  encodeVector,
  fixedPointEncoding,
  MaskedInputMessageSchema,
  pairingGraphFor,
  quantisationBound,
  runSecureAggregation,
  SecAggClient,
  SecAggError,
  SecAggServer,
  type DropoutStage,
  type SecAggConfig,
  type SecAggErrorCode,
  type SecAggResult,
} from "../../backend/src/secagg/index.js";
import { applyMask, expandMask } from "../../backend/src/secagg/mask-prg.js";
import { harary } from "../../backend/src/secagg/pairing-graph.js";
import {
  ringVectorFromBase64,
  ringVectorToBase64,
} from "../../backend/src/secagg/ring-vector-codec.js";
import {
  combineShares,
  FIELD_PRIME,
  interpolateAtZero,
  shareFromHex,
  shareValueToHex,
  splitSecret,
} from "../../backend/src/secagg/shamir-secret-sharing.js";

function expectSecAggError(f: () => unknown, code: SecAggErrorCode, message?: RegExp): SecAggError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(SecAggError);
    expect((e as SecAggError).code, (e as Error).message).to.equal(code);
    if (message) expect((e as Error).message).to.match(message);
    return e as SecAggError;
  }
  throw new Error(`expected a SecAggError with code ${code}`);
}

/** Deterministic test inputs: values in [-1.5, 1.5], so some are clipped at R = 1. */
function inputsFor(ids: readonly string[], length: number, seed = 1): Map<string, Float32Array> {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return new Map(ids.map((id) => [id, Float32Array.from({ length }, () => 3 * next() - 1.5)]));
}

const clientIds = (n: number) =>
  Array.from({ length: n }, (_, i) => `node-${String(i).padStart(2, "0")}`);

function config(
  overrides: Partial<SecAggConfig> & Pick<SecAggConfig, "threshold" | "maxClients">,
): SecAggConfig {
  return {
    sessionId: `test/${randomBytes(4).toString("hex")}`,
    vectorLength: 1000,
    clipRange: 1,
    ...overrides,
  };
}

/** The plain float sum of the survivors' clipped inputs, and the bound the decoded sum must meet. */
function expectSumOfSurvivors(
  result: SecAggResult,
  inputs: ReadonlyMap<string, Float32Array>,
  cfg: SecAggConfig,
  survivors: readonly string[],
  neverJoined: readonly string[] = [],
) {
  expect(result.survivors).to.deep.equal([...survivors].sort());
  expect(result.dropped).to.deep.equal(
    [...inputs.keys()].filter((id) => !survivors.includes(id) && !neverJoined.includes(id)).sort(),
  );
  const encoding = fixedPointEncoding(cfg.clipRange, cfg.maxClients, cfg.bits);
  const bound = quantisationBound(encoding, survivors.length);
  expect(result.sum.length).to.equal(cfg.vectorLength);
  const vectors = survivors.map((id) => inputs.get(id)!);
  const r = cfg.clipRange;
  let worst = 0;
  let firstBad = -1;
  for (let i = 0; i < cfg.vectorLength; i++) {
    let plain = 0;
    for (const v of vectors) plain += Math.max(-r, Math.min(r, v[i]!));
    const err = Math.abs(result.sum[i]! - plain);
    worst = Math.max(worst, err);
    // quantisation, plus the float32 rounding of the returned sum
    if (err > bound + Math.abs(plain) * 2 ** -24 && firstBad < 0) firstBad = i;
  }
  expect(firstBad, `first coordinate off the plain sum by more than ${bound}`).to.equal(-1);
  return worst;
}

/** Runs rounds 0-2 by hand so a test can step into round 3. */
function throughMaskedInput(
  cfg: SecAggConfig,
  ids: readonly string[],
  inputs: Map<string, Float32Array>,
) {
  const server = new SecAggServer(cfg);
  const clients = new Map(ids.map((id) => [id, new SecAggClient(id, cfg)]));
  for (const c of clients.values()) server.receiveAdvertiseKeys(c.advertiseKeys());
  const roster = server.closeAdvertiseKeys();
  for (const c of clients.values()) server.receiveShareKeys(c.shareKeys(roster));
  const deliveries = server.closeShareKeys();
  for (const d of deliveries)
    server.receiveMaskedInput(clients.get(d.to)!.maskInput(d, inputs.get(d.to)!));
  return { server, clients, request: server.closeMaskedInput() };
}

describe("secure aggregation", () => {
  describe("fixed-point encoding", () => {
    it("decodes the sum of n encoded vectors within the quantisation bound, clipping to R", () => {
      const encoding = fixedPointEncoding(2, 10);
      expect(encoding.maxMagnitude).to.equal(Math.floor((2 ** 31 - 1) / 10));
      const inputs = [...inputsFor(clientIds(10), 5000, 7).values()].map((v) =>
        v.map((x) => 2 * x),
      );
      const acc = new Uint32Array(5000);
      for (const v of inputs) encodeVector(v, encoding).forEach((q, i) => (acc[i] = acc[i]! + q));
      const sum = decodeSum(acc, encoding);
      const bound = quantisationBound(encoding, 10);
      expect(bound).to.be.below(1e-7);
      for (let i = 0; i < 5000; i++) {
        const plain = inputs.reduce((s, v) => s + Math.max(-2, Math.min(2, v[i]!)), 0);
        expect(Math.abs(sum[i]! - plain)).to.be.at.most(bound + Math.abs(plain) * 2 ** -24);
      }
    });

    it("cannot overflow: n inputs at +R or -R sum to +-nR exactly", () => {
      for (const n of [1, 3, 10, 1000]) {
        const encoding = fixedPointEncoding(5, n);
        for (const sign of [1, -1]) {
          const one = encodeVector(Float32Array.of(sign * 1e9), encoding);
          const acc = new Uint32Array(1);
          for (let k = 0; k < n; k++) acc[0] = acc[0]! + one[0]!;
          expect(decodeSum(acc, encoding)[0]).to.be.near(sign * 5 * n, 5 * n * 1e-6);
        }
      }
    });

    it("rejects non-finite inputs and unusable parameters", () => {
      const encoding = fixedPointEncoding(1, 4);
      expectSecAggError(
        () => encodeVector(Float32Array.of(0, NaN), encoding),
        "protocol-violation",
        /coordinate 1/,
      );
      expectSecAggError(() => fixedPointEncoding(0, 4), "invalid-config");
      expectSecAggError(() => fixedPointEncoding(1, 0), "invalid-config");
    });
  });

  describe("Shamir secret sharing over GF(2^127 - 1)", () => {
    const secret = new Uint8Array(randomBytes(32));

    it("any t of n shares rebuild a 32-byte secret", () => {
      const xs = [1, 2, 3, 4, 5, 6];
      const shares = splitSecret(secret, 4, xs);
      expect(shares[0]!.ys).to.have.length(3); // 32 bytes = 15 + 15 + 2
      let subsets = 0;
      for (let mask = 0; mask < 1 << 6; mask++) {
        const subset = shares.filter((_, i) => mask & (1 << i));
        if (subset.length < 4) continue;
        expect(Buffer.from(combineShares(subset, 4, 32)).equals(Buffer.from(secret))).to.equal(
          true,
        );
        subsets++;
      }
      expect(subsets).to.equal(15 + 6 + 1);
    });

    it("refuses fewer than t shares, whose interpolation is garbage", () => {
      const shares = splitSecret(secret, 4, [1, 2, 3, 4, 5, 6]);
      expectSecAggError(
        () => combineShares(shares.slice(0, 3), 4, 32),
        "too-few-clients",
        /need 4 shares/,
      );
      const garbage = interpolateAtZero(shares.slice(2, 5));
      const truth = interpolateAtZero(shares.slice(0, 4));
      expect(garbage).to.not.deep.equal(truth);
    });

    it("t - 1 shares fit every secret equally well (information-theoretic hiding)", () => {
      // For 2-of-n sharing a single share y1 = s + a*x1 is consistent with any s' (a' = (y1 - s')/x1),
      // and for a fixed secret its value is uniform: check the low bit over many splits.
      let ones = 0;
      const fixed = new Uint8Array(32);
      for (let k = 0; k < 2000; k++) ones += Number(splitSecret(fixed, 2, [1, 2])[0]!.ys[0]! & 1n);
      expect(ones).to.be.within(1000 - 160, 1000 + 160); // ~5 sigma
    });

    it("detects shares mixed from two secrets, and round-trips shares through hex", () => {
      const a = splitSecret(secret, 3, [1, 2, 3]);
      const b = splitSecret(new Uint8Array(randomBytes(32)), 3, [1, 2, 3]);
      expectSecAggError(() => combineShares([a[0]!, a[1]!, b[2]!], 3, 32), "inconsistent-shares");
      const hex = shareValueToHex(a[1]!);
      expect(hex).to.match(/^[0-9a-f]{96}$/);
      expect(shareFromHex(2, hex)).to.deep.equal(a[1]);
      expectSecAggError(
        () => shareFromHex(2, FIELD_PRIME.toString(16).padStart(32, "0")),
        "protocol-violation",
      );
    });
  });

  describe("mask PRG (AES-256-CTR)", () => {
    it("is deterministic per seed, differs across seeds, and masks cancel", () => {
      const seed = new Uint8Array(randomBytes(32));
      expect(expandMask(seed, 1000)).to.deep.equal(expandMask(seed, 1000));
      expect(expandMask(seed, 1000)).to.not.deep.equal(
        expandMask(new Uint8Array(randomBytes(32)), 1000),
      );
      expect(expandMask(seed, 10)).to.deep.equal(expandMask(seed, 1000).subarray(0, 10));
      const v = Uint32Array.from([0, 1, 2 ** 32 - 1, 12345]);
      const w = v.slice();
      applyMask(w, seed, 1);
      expect(w).to.not.deep.equal(v);
      applyMask(w, seed, -1);
      expect(w).to.deep.equal(v);
    });

    it("expands a 1.7M-parameter mask fast enough (timing reported)", () => {
      const seed = new Uint8Array(randomBytes(32));
      const L = 1_700_000;
      expandMask(seed, L); // warm up
      const runs = 5;
      const t0 = performance.now();
      for (let k = 0; k < runs; k++) expandMask(seed, L);
      const prgMs = (performance.now() - t0) / runs;
      const acc = new Uint32Array(L);
      const t1 = performance.now();
      for (let k = 0; k < runs; k++) applyMask(acc, seed, 1);
      const applyMs = (performance.now() - t1) / runs;
      console.log(
        `      PRG: ${prgMs.toFixed(1)} ms to expand one 1.7M-element mask, ${applyMs.toFixed(1)} ms to expand and add it`,
      );
      expect(prgMs).to.be.below(1000);
    });
  });

  describe("SecAgg+ pairing graph", () => {
    const ids = clientIds(12);
    const seed = new Uint8Array(randomBytes(32));

    it("is k-regular, symmetric, seeded and random", () => {
      for (const k of [2, 3, 4, 6]) {
        const g = harary(ids, k, seed, "s");
        for (const [u, peers] of g) {
          expect(peers.size, `${u} with k = ${k}`).to.equal(k);
          expect(peers.has(u)).to.equal(false);
          for (const v of peers) expect(g.get(v)!.has(u)).to.equal(true);
        }
        expect(harary(ids, k, seed, "s")).to.deep.equal(g);
      }
      const other = harary(ids, 4, new Uint8Array(randomBytes(32)), "s");
      expect(other).to.not.deep.equal(harary(ids, 4, seed, "s"));
      expect(harary(ids, 11, seed, "s").get(ids[0]!)!.size).to.equal(11);
      expectSecAggError(() => harary(clientIds(11), 3, seed, "s"), "invalid-config", /k = 4/);
      const plus = {
        sessionId: "s",
        vectorLength: 1,
        clipRange: 1,
        maxClients: 100,
        neighbours: 6,
      };
      const graphSeed = randomBytes(32).toString("hex");
      expectSecAggError(
        () => new SecAggServer({ ...plus, graphSeed, threshold: 3 }),
        "invalid-config",
        /up to 7 share holders .* must be in \[4, 7\]/,
      );
      expectSecAggError(
        () => new SecAggServer({ ...plus, threshold: 4 }),
        "invalid-config",
        /graphSeed/,
      );
      new SecAggServer({ ...plus, graphSeed, threshold: 4 });
    });
  });

  describe("protocol", () => {
    it("(1) no dropouts: the server gets the sum", () => {
      const ids = clientIds(6);
      const cfg = config({ threshold: 4, maxClients: ids.length });
      const inputs = inputsFor(ids, cfg.vectorLength);
      const result = runSecureAggregation({ config: cfg, inputs });
      const worst = expectSumOfSurvivors(result, inputs, cfg, ids);
      expect(worst).to.be.below(1e-6);
    });

    it("(2) clients that drop after ShareKeys, before their masked input, are left out of the sum", () => {
      const ids = clientIds(9);
      const cfg = config({ threshold: 5, maxClients: ids.length });
      const inputs = inputsFor(ids, cfg.vectorLength, 2);
      const dropouts = new Map<string, DropoutStage>([
        ["node-01", "masked-input"],
        ["node-04", "masked-input"],
        ["node-06", "share-keys"],
        ["node-05", "advertise-keys"],
      ]);
      const result = runSecureAggregation({ config: cfg, inputs, dropouts });
      // node-05 never advertised keys, so the server does not know of it at all
      expectSumOfSurvivors(
        result,
        inputs,
        cfg,
        ["node-00", "node-02", "node-03", "node-07", "node-08"],
        ["node-05"],
      );
    });

    it("(3) clients that drop after their masked input, before unmasking, stay in the sum", () => {
      const ids = clientIds(7);
      const cfg = config({ threshold: 4, maxClients: ids.length });
      const inputs = inputsFor(ids, cfg.vectorLength, 3);
      const dropouts = new Map<string, DropoutStage>([
        ["node-02", "unmasking"],
        ["node-05", "unmasking"],
        ["node-03", "masked-input"],
      ]);
      const result = runSecureAggregation({ config: cfg, inputs, dropouts });
      expectSumOfSurvivors(
        result,
        inputs,
        cfg,
        ids.filter((id) => id !== "node-03"),
      );
    });

    it("(4) fewer than t survivors at any round is a clear error", () => {
      const ids = clientIds(6);
      const cfg = config({ threshold: 4, maxClients: ids.length });
      const inputs = inputsFor(ids, cfg.vectorLength);
      const drop = (stage: DropoutStage, who: string[]) =>
        runSecureAggregation({
          config: cfg,
          inputs,
          dropouts: new Map(who.map((id) => [id, stage])),
        });
      expectSecAggError(
        () => drop("advertise-keys", ids.slice(0, 3)),
        "too-few-clients",
        /AdvertiseKeys: 3 clients left/,
      );
      expectSecAggError(
        () => drop("share-keys", ids.slice(0, 3)),
        "too-few-clients",
        /ShareKeys: 3 clients left/,
      );
      expectSecAggError(
        () => drop("masked-input", ids.slice(0, 3)),
        "too-few-clients",
        /MaskedInput: 3 clients left/,
      );
      expectSecAggError(
        () => drop("unmasking", ids.slice(0, 3)),
        "too-few-clients",
        /Unmasking: 3 clients left/,
      );
      // and a threshold that is not a strict majority of the holders is refused up front
      expectSecAggError(
        () =>
          runSecureAggregation({
            config: config({ threshold: 3, maxClients: ids.length }),
            inputs,
          }),
        "invalid-config",
        /must be in \[4, 6\]/,
      );
    });

    it("(5) a masked input looks uniformly random: a zero input is masked to noise, fresh every session", () => {
      const ids = clientIds(3);
      const L = 65_536;
      const zeros = new Map(ids.map((id) => [id, new Float32Array(L)]));
      const maskedOf = () => {
        const cfg = config({ threshold: 2, maxClients: ids.length, vectorLength: L });
        const server = new SecAggServer(cfg);
        const clients = ids.map((id) => new SecAggClient(id, cfg));
        for (const c of clients) server.receiveAdvertiseKeys(c.advertiseKeys());
        const roster = server.closeAdvertiseKeys();
        for (const c of clients) server.receiveShareKeys(c.shareKeys(roster));
        const d = server.closeShareKeys().find((x) => x.to === ids[0])!;
        return ringVectorFromBase64(clients[0]!.maskInput(d, zeros.get(ids[0]!)!).maskedInput, L);
      };
      const a = maskedOf();
      const b = maskedOf();
      expect(a.some((x) => x !== 0)).to.equal(true);
      let equal = 0;
      for (let i = 0; i < L; i++) if (a[i] === b[i]) equal++;
      expect(equal).to.be.below(3);
      // byte histogram: chi-square with 255 degrees of freedom (99.99% quantile ~ 347)
      const bytes = new Uint8Array(a.buffer);
      const counts = new Array<number>(256).fill(0);
      for (const x of bytes) counts[x]!++;
      const expected = bytes.length / 256;
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).to.be.below(347);
      let ones = 0;
      for (const x of a) for (let v = x; v; v >>>= 1) ones += v & 1;
      expect(ones / (32 * L)).to.be.near(0.5, 0.002);
    });

    it("(6) a client never reveals both shares of one peer; a retry gets the same answer", () => {
      const ids = clientIds(5);
      const cfg = config({ threshold: 3, maxClients: ids.length });
      const { clients, request } = throughMaskedInput(cfg, ids, inputsFor(ids, cfg.vectorLength));
      const client = clients.get("node-00")!;
      const first = client.unmask(request);
      expect(first.selfMaskShares.map((s) => s.owner)).to.deep.equal(ids);
      expect(first.secretKeyShares).to.deep.equal([]);
      expect(client.unmask(request)).to.deep.equal(first);
      // A server that now claims node-02 dropped wants its s_sk share too: refused, nothing revealed.
      const forged = { ...request, survivors: request.survivors.filter((id) => id !== "node-02") };
      expectSecAggError(
        () => client.unmask(forged),
        "sign-off-violation",
        /self-mask share of node-02/,
      );
      expect(client.revealedShares().get("node-02")).to.equal("self-mask");
      // The other way round: a client first told node-03 dropped will not later reveal its b share.
      const other = clients.get("node-01")!;
      const dropped03 = other.unmask({
        ...request,
        survivors: request.survivors.filter((id) => id !== "node-03"),
      });
      expect(dropped03.secretKeyShares.map((s) => s.owner)).to.deep.equal(["node-03"]);
      expectSecAggError(
        () => other.unmask(request),
        "sign-off-violation",
        /secret-key share of node-03/,
      );
      // and a request that calls the client itself dropped is refused
      expectSecAggError(
        () => clients.get("node-04")!.unmask({ ...request, survivors: ids.slice(0, 4) }),
        "protocol-violation",
        /leaves out node-04/,
      );
    });

    it("(7) a tampered or misrouted share ciphertext fails AES-GCM authentication", () => {
      const ids = clientIds(4);
      const cfg = config({ threshold: 3, maxClients: ids.length });
      const server = new SecAggServer(cfg);
      const clients = new Map(ids.map((id) => [id, new SecAggClient(id, cfg)]));
      for (const c of clients.values()) server.receiveAdvertiseKeys(c.advertiseKeys());
      const roster = server.closeAdvertiseKeys();
      for (const c of clients.values()) server.receiveShareKeys(c.shareKeys(roster));
      const deliveries = server.closeShareKeys();
      const d0 = deliveries.find((d) => d.to === "node-00")!;
      const bytes = Buffer.from(d0.ciphertexts[1]!.ciphertext, "base64");
      bytes[20]! ^= 0x01;
      const tampered = {
        ...d0,
        ciphertexts: d0.ciphertexts.map((c, i) =>
          i === 1 ? { ...c, ciphertext: bytes.toString("base64") } : c,
        ),
      };
      const x = new Float32Array(cfg.vectorLength);
      expectSecAggError(
        () => clients.get("node-00")!.maskInput(tampered, x),
        "decryption-failed",
        /node-02 to node-00/,
      );
      // node-01's ciphertext for node-02, handed to node-03 as if meant for it
      const d3 = deliveries.find((d) => d.to === "node-03")!;
      const for2 = deliveries
        .find((d) => d.to === "node-02")!
        .ciphertexts.find((c) => c.from === "node-01")!;
      const misrouted = {
        ...d3,
        ciphertexts: d3.ciphertexts.map((c) => (c.from === "node-01" ? for2 : c)),
      };
      expectSecAggError(() => clients.get("node-03")!.maskInput(misrouted, x), "decryption-failed");
      // the untouched delivery still works
      clients.get("node-03")!.maskInput(d3, x);
    });

    it("(8) SecAgg+: k neighbours per client, correct with dropouts at every round", () => {
      const ids = clientIds(16);
      const cfg = config({
        threshold: 3,
        neighbours: 4,
        graphSeed: randomBytes(32).toString("hex"),
        maxClients: 16,
        vectorLength: 2000,
      });
      const inputs = inputsFor(ids, cfg.vectorLength, 8);
      // Dropouts the graph can absorb: at most k + 1 - t = 2 in any client's holders (itself and
      // its 4 neighbours), taken greedily from a list that spans every round.
      const graph = pairingGraphFor(cfg, ids);
      const candidates: [string, DropoutStage][] = [
        ["node-03", "share-keys"],
        ["node-07", "masked-input"],
        ["node-11", "masked-input"],
        ["node-01", "masked-input"],
        ["node-12", "unmasking"],
        ["node-14", "unmasking"],
        ["node-05", "unmasking"],
        ["node-09", "share-keys"],
        ["node-15", "unmasking"],
      ];
      const dropouts = new Map<string, DropoutStage>();
      for (const [id, stage] of candidates) {
        const trial = new Set([...dropouts.keys(), id]);
        const fits = ids.every(
          (w) => [w, ...graph.get(w)!].filter((h) => trial.has(h)).length <= 2,
        );
        if (fits) dropouts.set(id, stage);
      }
      expect(dropouts.size).to.be.at.least(4);
      expect(new Set(dropouts.values()).size, "dropouts at several rounds").to.be.at.least(2);
      const result = runSecureAggregation({ config: cfg, inputs, dropouts, wire: "json" });
      expectSumOfSurvivors(
        result,
        inputs,
        cfg,
        ids.filter((id) => !["share-keys", "masked-input"].includes(dropouts.get(id) ?? "")),
      );
      // each client sends exactly k ciphertexts
      const client = new SecAggClient("node-00", cfg);
      const server = new SecAggServer(cfg);
      const all = ids.map((id) => (id === "node-00" ? client : new SecAggClient(id, cfg)));
      for (const c of all) server.receiveAdvertiseKeys(c.advertiseKeys());
      expect(client.shareKeys(server.closeAdvertiseKeys()).ciphertexts).to.have.length(4);
    });

    it("(8b) SecAgg+: a neighbourhood that falls below t fails clearly, even with many survivors", () => {
      const ids = clientIds(12);
      const cfg = config({
        threshold: 3,
        neighbours: 2,
        graphSeed: randomBytes(32).toString("hex"),
        maxClients: 12,
      });
      const inputs = inputsFor(ids, cfg.vectorLength);
      // node-00 and both its neighbours masked, then both neighbours drop before unmasking:
      // only node-00 holds shares of its own b_u.
      const server = new SecAggServer(cfg);
      const clients = new Map(ids.map((id) => [id, new SecAggClient(id, cfg)]));
      for (const c of clients.values()) server.receiveAdvertiseKeys(c.advertiseKeys());
      const roster = server.closeAdvertiseKeys();
      const shareKeys = new Map(ids.map((id) => [id, clients.get(id)!.shareKeys(roster)]));
      const neighbours = shareKeys.get("node-00")!.ciphertexts.map((c) => c.to);
      expect(neighbours).to.have.length(2);
      for (const m of shareKeys.values()) server.receiveShareKeys(m);
      for (const d of server.closeShareKeys())
        server.receiveMaskedInput(clients.get(d.to)!.maskInput(d, inputs.get(d.to)!));
      const request = server.closeMaskedInput();
      for (const id of request.survivors.filter((id) => !neighbours.includes(id))) {
        server.receiveUnmasking(clients.get(id)!.unmask(request));
      }
      expectSecAggError(
        () => server.finish(),
        "too-few-clients",
        /only 1 shares of node-00's self-mask seed/,
      );
    });

    it("(9) every message survives JSON.stringify / JSON.parse, and a JSON-wired run is exact", () => {
      const ids = clientIds(5);
      const cfg = config({ threshold: 3, maxClients: ids.length, vectorLength: 300 });
      const inputs = inputsFor(ids, cfg.vectorLength, 9);
      const json = <T>(m: T): T => JSON.parse(JSON.stringify(m)) as T;
      const server = new SecAggServer(json(cfg));
      const clients = new Map(ids.map((id) => [id, new SecAggClient(id, json(cfg))]));
      const seen: unknown[] = [];
      const wire = <T>(m: T): T => {
        const copy = json(m);
        expect(copy).to.deep.equal(m);
        seen.push(copy);
        return copy;
      };
      for (const c of clients.values()) server.receiveAdvertiseKeys(wire(c.advertiseKeys()));
      const roster = wire(server.closeAdvertiseKeys());
      for (const id of ids.slice(0, 4))
        server.receiveShareKeys(wire(clients.get(id)!.shareKeys(roster)));
      for (const d of server.closeShareKeys()) {
        if (d.to === "node-03") continue;
        server.receiveMaskedInput(wire(clients.get(d.to)!.maskInput(wire(d), inputs.get(d.to)!)));
      }
      const request = wire(server.closeMaskedInput());
      for (const id of request.survivors)
        server.receiveUnmasking(wire(clients.get(id)!.unmask(request)));
      const result = server.finish();
      expectSumOfSurvivors(result, inputs, cfg, ["node-00", "node-01", "node-02"]);
      const types = new Set(seen.map((m) => (m as { type: string }).type));
      expect([...types].sort()).to.deep.equal([
        "secagg/advertise-keys",
        "secagg/key-roster",
        "secagg/masked-input",
        "secagg/share-delivery",
        "secagg/share-keys",
        "secagg/unmask-request",
        "secagg/unmasking",
      ]);
      const masked = seen.find((m) => (m as { type: string }).type === "secagg/masked-input");
      expect(MaskedInputMessageSchema.parse(masked)).to.deep.equal(masked);
    });

    it("(10) quantised inputs go into a smaller ring: b-bit integers, masked values sent as b + ceil(log2 n) bits, the sum within n R / L and unbiased", () => {
      const ids = clientIds(5);
      for (const bits of [8, 4]) {
        const cfg = config({ threshold: 3, maxClients: ids.length, vectorLength: 2000, bits });
        const ringBits = bits + 3; // ceil(log2 5) = 3
        const encoding = fixedPointEncoding(cfg.clipRange, cfg.maxClients, bits);
        expect(encoding).to.include({
          ringBits,
          maxMagnitude: 2 ** (bits - 1) - 1,
          stochastic: true,
        });
        const inputs = inputsFor(ids, cfg.vectorLength, 10 + bits);
        const server = new SecAggServer(cfg);
        const clients = new Map(ids.map((id) => [id, new SecAggClient(id, cfg)]));
        for (const c of clients.values()) server.receiveAdvertiseKeys(c.advertiseKeys());
        const roster = server.closeAdvertiseKeys();
        for (const c of clients.values()) server.receiveShareKeys(c.shareKeys(roster));
        for (const d of server.closeShareKeys()) {
          const m = clients.get(d.to)!.maskInput(d, inputs.get(d.to)!);
          // The masked vector is r-bit words, packed: r / 32 of the full ring's bytes.
          expect(Buffer.from(m.maskedInput, "base64").length).to.equal(
            Math.ceil((cfg.vectorLength * ringBits) / 8),
          );
          server.receiveMaskedInput(m);
        }
        const request = server.closeMaskedInput();
        for (const id of request.survivors)
          server.receiveUnmasking(clients.get(id)!.unmask(request));
        const result = server.finish();
        expectSumOfSurvivors(result, inputs, cfg, ids);
        // Stochastic rounding is unbiased: the errors average out over the coordinates.
        let bias = 0;
        for (let i = 0; i < cfg.vectorLength; i++) {
          let plain = 0;
          for (const v of inputs.values()) plain += Math.max(-1, Math.min(1, v[i]!));
          bias += result.sum[i]! - plain;
        }
        expect(Math.abs(bias / cfg.vectorLength)).to.be.lessThan(0.2 / encoding.scale);
      }
      // 24-bit inputs from 1000 clients would need a 34-bit ring.
      expectSecAggError(() => fixedPointEncoding(1, 1000, 24), "invalid-config", /34-bit ring/);
      // A packed vector with bits set past its last element is malformed.
      const packed = ringVectorToBase64(Uint32Array.from([1, 2, 3]), 5);
      const bytes = Buffer.from(packed, "base64");
      expect(Array.from(ringVectorFromBase64(packed, 3, 5))).to.deep.equal([1, 2, 3]);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! | 0x80;
      expectSecAggError(
        () => ringVectorFromBase64(bytes.toString("base64"), 3, 5),
        "protocol-violation",
        /padding bits/,
      );
    });

    it("rejects a share that does not fit the owner's commitment or public key", () => {
      const ids = clientIds(4);
      const cfg = config({ threshold: 3, maxClients: ids.length });
      const inputs = inputsFor(ids, cfg.vectorLength);
      const flip = (share: string) => (share[0] === "0" ? "1" : "0") + share.slice(1);

      const b = throughMaskedInput(cfg, ids, inputs);
      for (const id of ids) {
        const m = b.clients.get(id)!.unmask(b.request);
        if (id === "node-00") m.selfMaskShares[2]!.share = flip(m.selfMaskShares[2]!.share);
        b.server.receiveUnmasking(m);
      }
      expectSecAggError(() => b.server.finish(), "inconsistent-shares", /node-02's self-mask seed/);

      // node-03 dropped before its masked input: its s_sk is rebuilt, from a bad share here
      const s = new SecAggServer(cfg);
      const clients = new Map(ids.map((id) => [id, new SecAggClient(id, cfg)]));
      for (const c of clients.values()) s.receiveAdvertiseKeys(c.advertiseKeys());
      const roster = s.closeAdvertiseKeys();
      for (const c of clients.values()) s.receiveShareKeys(c.shareKeys(roster));
      for (const d of s.closeShareKeys()) {
        if (d.to !== "node-03")
          s.receiveMaskedInput(clients.get(d.to)!.maskInput(d, inputs.get(d.to)!));
      }
      const request = s.closeMaskedInput();
      for (const id of request.survivors) {
        const m = clients.get(id)!.unmask(request);
        if (id === "node-01") m.secretKeyShares[0]!.share = flip(m.secretKeyShares[0]!.share);
        s.receiveUnmasking(m);
      }
      expectSecAggError(() => s.finish(), "inconsistent-shares", /node-03's/);
    });

    it("rejects late, repeated-but-different, foreign-session and oversized messages", () => {
      const ids = clientIds(4);
      const cfg = config({ threshold: 3, maxClients: 4 });
      const server = new SecAggServer(cfg);
      const clients = ids.map((id) => new SecAggClient(id, cfg));
      for (const c of clients) server.receiveAdvertiseKeys(c.advertiseKeys());
      server.receiveAdvertiseKeys(clients[0]!.advertiseKeys()); // identical retry is fine
      expectSecAggError(
        () => server.receiveAdvertiseKeys(new SecAggClient("node-00", cfg).advertiseKeys()),
        "protocol-violation",
        /second, different/,
      );
      expectSecAggError(
        () => server.receiveAdvertiseKeys(new SecAggClient("node-09", cfg).advertiseKeys()),
        "protocol-violation",
        /session is full/,
      );
      const stranger = new SecAggClient("node-05", { ...cfg, sessionId: "another" });
      expectSecAggError(
        () => server.receiveAdvertiseKeys(stranger.advertiseKeys()),
        "protocol-violation",
        /another/,
      );
      const roster = server.closeAdvertiseKeys();
      // a roster that swaps a client's key for another (a key-substitution attempt) is refused
      const swapped = {
        ...roster,
        clients: roster.clients.map((c) =>
          c.clientId === "node-00" ? { ...c, sPublicKey: "11".repeat(32) } : c,
        ),
      };
      expectSecAggError(
        () => clients[0]!.shareKeys(swapped),
        "protocol-violation",
        /node-00's keys/,
      );
      expectSecAggError(
        () => server.receiveAdvertiseKeys(new SecAggClient("node-05", cfg).advertiseKeys()),
        "protocol-violation",
        /late or out of order/,
      );
      expect(server.awaiting()).to.deep.equal(ids);
      for (const c of clients) server.receiveShareKeys(c.shareKeys(roster));
      expect(server.awaiting()).to.deep.equal([]);
      const d = server.closeShareKeys()[0]!;
      const m = clients[0]!.maskInput(d, new Float32Array(cfg.vectorLength));
      expectSecAggError(
        () => server.receiveMaskedInput({ ...m, maskedInput: m.maskedInput.slice(8) }),
        "protocol-violation",
        /base64 characters/,
      );
      expectSecAggError(
        () => clients[1]!.maskInput(d, new Float32Array(cfg.vectorLength)),
        "protocol-violation",
        /delivery for node-00 reached node-01/,
      );
    });

    describe("n = 10, full graph, 1.7M parameters: timing of each round (reported)", () => {
      const L = 1_700_000;
      const ids = clientIds(10);
      const inputs = inputsFor(ids, L, 10);
      const ms = (t0: number) => performance.now() - t0;

      const scenario = (
        title: string,
        dropBeforeMasking: string[],
        dropBeforeUnmasking: string[],
      ) => {
        const cfg = config({ threshold: 6, vectorLength: L, clipRange: 1, maxClients: 10 });
        const server = new SecAggServer(cfg);
        const clients = new Map(ids.map((id) => [id, new SecAggClient(id, cfg)]));
        let t = performance.now();
        for (const c of clients.values()) server.receiveAdvertiseKeys(c.advertiseKeys());
        const roster = server.closeAdvertiseKeys();
        const advertiseMs = ms(t);
        t = performance.now();
        for (const c of clients.values()) server.receiveShareKeys(c.shareKeys(roster));
        const deliveries = server.closeShareKeys();
        const shareMs = ms(t);
        const maskMs: number[] = [];
        let receiveMs = 0;
        let bytes = 0;
        for (const d of deliveries) {
          if (dropBeforeMasking.includes(d.to)) continue;
          t = performance.now();
          const m = clients.get(d.to)!.maskInput(d, inputs.get(d.to)!);
          maskMs.push(ms(t));
          bytes = m.maskedInput.length;
          t = performance.now();
          server.receiveMaskedInput(m);
          receiveMs += ms(t);
        }
        const request = server.closeMaskedInput();
        t = performance.now();
        for (const id of request.survivors) {
          if (!dropBeforeUnmasking.includes(id)) {
            server.receiveUnmasking(clients.get(id)!.unmask(request));
          }
        }
        const unmaskMs = ms(t);
        t = performance.now();
        const result = server.finish();
        const finishMs = ms(t);
        const survivors = ids.filter((id) => !dropBeforeMasking.includes(id));
        expectSumOfSurvivors(result, inputs, cfg, survivors);
        const mean = maskMs.reduce((a, b) => a + b, 0) / maskMs.length;
        console.log(
          [
            `      ${title}`,
            `        AdvertiseKeys, 10 clients + server: ${advertiseMs.toFixed(1)} ms`,
            `        ShareKeys, 10 clients + routing: ${shareMs.toFixed(1)} ms`,
            `        MaskedInput per client (encode, 1 self + ${survivors.length - 1} pair masks, base64): mean ${mean.toFixed(0)} ms, max ${Math.max(...maskMs).toFixed(0)} ms; ${(bytes / 1e6).toFixed(1)} MB each`,
            `        server decoding ${maskMs.length} masked inputs: ${receiveMs.toFixed(0)} ms`,
            `        Unmasking, ${request.survivors.length - dropBeforeUnmasking.length} clients: ${unmaskMs.toFixed(1)} ms`,
            `        server finish (sum ${survivors.length} inputs, rebuild ${survivors.length} b_u + ${dropBeforeMasking.length} s_sk, strip masks, decode): ${finishMs.toFixed(0)} ms`,
          ].join("\n"),
        );
      };

      it("all ten mask, one drops before unmasking", function () {
        this.timeout(300_000);
        scenario("n = 10, L = 1.7M, t = 6; node-09 drops before unmasking", [], ["node-09"]);
      });

      it("one drops after ShareKeys, so the server rebuilds its pair masks", function () {
        this.timeout(300_000);
        scenario("n = 10, L = 1.7M, t = 6; node-09 drops after ShareKeys", ["node-09"], []);
      });
    });
  });
});
