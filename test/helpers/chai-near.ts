/**
 * `expect(x).to.be.near(y, delta)`: a numeric closeTo that stays numeric.
 *
 * Hardhat's chai matchers (registered globally the first time any test file
 * connects to a network) override `closeTo` to convert numbers to bigint, which
 * throws for any non-integer. Tests of floating-point code use `near` instead,
 * so they pass the same whether they run alone or after a chain test.
 */
import * as chai from "chai";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace Chai {
    interface Assertion {
      near(expected: number, delta: number, message?: string): Assertion;
    }
  }
}

chai.use((lib, utils) => {
  lib.Assertion.addMethod(
    "near",
    function (this: Chai.AssertionStatic, expected: number, delta: number, message?: string) {
      if (message !== undefined) utils.flag(this, "message", message);
      const actual: unknown = utils.flag(this, "object");
      if (typeof actual !== "number" || typeof expected !== "number" || typeof delta !== "number") {
        throw new TypeError("near(expected, delta) compares numbers only");
      }
      this.assert(
        Math.abs(actual - expected) <= delta,
        `expected #{this} to be within ${delta} of ${expected}`,
        `expected #{this} not to be within ${delta} of ${expected}`,
        expected,
        actual,
      );
    },
  );
});
