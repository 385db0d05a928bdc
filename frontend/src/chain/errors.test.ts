import { BaseError, UserRejectedRequestError } from "viem";
import { describe, expect, it } from "vitest";
import { isUserRejection, walletErrorMessage } from "./errors";

describe("wallet errors", () => {
  it("recognises a rejection however deeply it is wrapped", () => {
    const inner = new UserRejectedRequestError(new Error("User denied transaction signature."));
    const outer = new BaseError("Transaction failed", { cause: inner });
    expect(isUserRejection(outer)).toBe(true);
    expect(isUserRejection({ code: 4001, message: "rejected" })).toBe(true);
    expect(walletErrorMessage(outer)).toContain("You rejected the request in your wallet");
  });

  it("passes other errors through with their short message", () => {
    expect(isUserRejection(new Error("boom"))).toBe(false);
    expect(walletErrorMessage(new BaseError("Something specific"))).toBe("Something specific");
    expect(walletErrorMessage(new BaseError("HTTP request failed."))).toContain("not reachable");
  });
});
