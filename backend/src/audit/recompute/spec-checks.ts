// What a run committed to at registration: its spec document (behind the chain's specHash) must
// be there, name this run and the reward policy the chain recorded, and point at a validation
// split whose bytes hash to what it says. Only then are the rounds worth re-executing.
import type { Hex } from "viem";
import type { LedgerSnapshot } from "../../chain/ledger-events.js";
import {
  decodeRunSpec,
  decodeValidation,
  type RunSpecDocument,
} from "../../artifacts/run-spec-format.js";
import { encodePolicyParams, makePolicy, policyId } from "../../rewards/reward-policy.js";
import { fetchVerified, type FetchContext } from "./fetch-verified.js";
import type { Validation } from "./recompute-types.js";

export interface SpecCheck {
  id: "spec-registered" | "spec-artifact" | "spec-run" | "spec-policy" | "validation" | "dataset";
  name: string;
  ok: boolean;
  detail: string;
}

const ZERO = `0x${"0".repeat(64)}`;

export async function checkSpec(
  opts: FetchContext & { snapshot: LedgerSnapshot; chainRunId: Hex },
): Promise<{ spec?: RunSpecDocument; validation?: Validation; checks: SpecCheck[] }> {
  const checks: SpecCheck[] = [];
  const check = (id: SpecCheck["id"], name: string, ok: boolean, detail: string) => {
    checks.push({ id, name, ok, detail });
    return ok;
  };
  const run = opts.snapshot.runs.find(
    (r) => r.chainRunId.toLowerCase() === opts.chainRunId.toLowerCase(),
  );
  if (
    !check(
      "spec-registered",
      "run registered with a spec hash",
      !!run && run.specHash !== ZERO,
      run ? `specHash ${run.specHash}` : `no RunRegistered event for ${opts.chainRunId}`,
    )
  )
    return { checks };
  const fetched = await fetchVerified(opts, run!.specHash);
  if (
    !check(
      "spec-artifact",
      "spec document matches its hash",
      fetched.ok,
      fetched.ok ? `${fetched.bytes.byteLength} bytes` : fetched.detail,
    )
  )
    return { checks };
  let spec: RunSpecDocument;
  try {
    spec = decodeRunSpec(fetched.ok ? fetched.bytes : new Uint8Array());
  } catch (err) {
    check("spec-artifact", "spec document decodes", false, (err as Error).message);
    return { checks };
  }
  check(
    "spec-run",
    "spec names this run",
    spec.chainRunId.toLowerCase() === opts.chainRunId.toLowerCase(),
    `run ${spec.runId}, ${spec.model.kind} on ${spec.dataset.id}, seed ${spec.seed}, ${spec.aggregation} aggregation`,
  );
  const policy = makePolicy(spec.reward, {
    validationSize: spec.validation.samples,
    seed: spec.seed,
  });
  check(
    "spec-policy",
    "spec's reward policy is the one registered on chain",
    policyId(policy.name) === run!.policyId.toLowerCase() &&
      encodePolicyParams(policy) === run!.policyParams.toLowerCase(),
    `${spec.reward.policy}, pool ${spec.reward.poolPerRound} per round`,
  );
  const v = await fetchVerified(opts, spec.validation.hash);
  if (!v.ok) {
    check("validation", "validation split matches its hash", false, v.detail);
    return { spec, checks };
  }
  const validation = decodeValidation(v.bytes);
  check(
    "validation",
    "validation split matches its hash",
    validation.n === spec.validation.samples,
    `${validation.n} samples (${spec.validation.source}), ${v.bytes.byteLength} bytes`,
  );
  return { spec, validation, checks };
}
