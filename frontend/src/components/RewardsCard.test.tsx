import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RewardsCard, type RewardsCardProps } from "./RewardsCard";

afterEach(cleanup);

const WEI = 10n ** 18n;
const base: RewardsCardProps = {
  connected: true,
  address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  chainId: 31337,
  recorded: 150n * WEI,
  claimed: 50n * WEI,
  claimable: 100n * WEI + 5n * 10n ** 17n,
  balance: 50n * WEI,
  symbol: "FLR",
  claim: { phase: "idle" },
  onClaim: () => {},
};

describe("RewardsCard", () => {
  it("asks to connect a wallet when none is connected", () => {
    render(<RewardsCard {...base} connected={false} connectButton={<button>Connect</button>} />);
    expect(screen.getByText("Connect your wallet")).toBeTruthy();
    expect(screen.queryByTestId("claim-button")).toBeNull();
  });

  it("formats the wallet's amounts from wei and claims on click", () => {
    const onClaim = vi.fn();
    render(<RewardsCard {...base} onClaim={onClaim} />);
    expect(screen.getByTestId("rewards-recorded").textContent).toBe("150 FLR");
    expect(screen.getByTestId("rewards-claimed").textContent).toBe("50 FLR");
    expect(screen.getByTestId("rewards-claimable").textContent).toBe("100.5 FLR");
    const button = screen.getByTestId("claim-button") as HTMLButtonElement;
    expect(button.textContent).toBe("Claim 100.5 FLR");
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    expect(onClaim).toHaveBeenCalledTimes(1);
  });

  it("says there is nothing to claim and disables the button", () => {
    render(<RewardsCard {...base} claimable={0n} />);
    expect(screen.getByText("Nothing to claim yet")).toBeTruthy();
    expect((screen.getByTestId("claim-button") as HTMLButtonElement).disabled).toBe(true);
  });

  it("walks through signing, pending and confirmed", () => {
    const { rerender } = render(<RewardsCard {...base} claim={{ phase: "signing" }} />);
    expect(screen.getByText("Waiting for your signature")).toBeTruthy();
    expect((screen.getByTestId("claim-button") as HTMLButtonElement).disabled).toBe(true);
    rerender(<RewardsCard {...base} claim={{ phase: "pending", hash: `0x${"ab".repeat(32)}` }} />);
    expect(screen.getByText("Claim pending")).toBeTruthy();
    rerender(
      <RewardsCard
        {...base}
        claimable={0n}
        claim={{ phase: "confirmed", hash: `0x${"ab".repeat(32)}` }}
      />,
    );
    expect(screen.getByText("Claim confirmed")).toBeTruthy();
    expect(screen.queryByText("Nothing to claim yet")).toBeNull();
    expect(screen.getByTestId("claim-status").getAttribute("data-phase")).toBe("confirmed");
  });

  it("shows why a claim failed", () => {
    render(
      <RewardsCard
        {...base}
        claim={{ phase: "failed", message: "You rejected the request in your wallet" }}
      />,
    );
    expect(screen.getByRole("alert").textContent).toContain("You rejected the request");
    expect((screen.getByTestId("claim-button") as HTMLButtonElement).disabled).toBe(false);
  });

  it("explains a chain that cannot be read, and a wrong network", () => {
    const { rerender } = render(<RewardsCard {...base} readError="The chain did not answer" />);
    expect(screen.getByText("Cannot read rewards from the chain")).toBeTruthy();
    rerender(<RewardsCard {...base} wrongNetwork />);
    expect(screen.getByText("Wrong network")).toBeTruthy();
    expect((screen.getByTestId("claim-button") as HTMLButtonElement).disabled).toBe(true);
  });
});
