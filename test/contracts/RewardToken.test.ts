import { expect } from "chai";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();

async function deployStandalone() {
  const [minter, holder, stranger] = await ethers.getSigners();
  if (!minter || !holder || !stranger) throw new Error("expected at least 3 accounts");
  const token = await ethers.deployContract("RewardToken", ["Test Reward", "TRW", minter.address]);
  return { token, minter, holder, stranger };
}

describe("RewardToken", function () {
  it("has the configured name and symbol, 18 decimals and no supply", async function () {
    const { token, minter } = await networkHelpers.loadFixture(deployStandalone);
    expect(await token.name()).to.equal("Test Reward");
    expect(await token.symbol()).to.equal("TRW");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.totalSupply()).to.equal(0n);
    expect(await token.minter()).to.equal(minter.address);
  });

  it("lets the minter mint, as a Transfer from the zero address", async function () {
    const { token, minter, holder } = await networkHelpers.loadFixture(deployStandalone);
    await expect(token.connect(minter).mint(holder.address, 5n))
      .to.emit(token, "Transfer")
      .withArgs(ethers.ZeroAddress, holder.address, 5n);
    expect(await token.totalSupply()).to.equal(5n);
    expect(await token.balanceOf(holder.address)).to.equal(5n);
  });

  it("rejects minting by anyone else, holders included", async function () {
    const { token, minter, holder, stranger } = await networkHelpers.loadFixture(deployStandalone);
    await token.connect(minter).mint(holder.address, 5n);
    for (const caller of [stranger, holder]) {
      await expect(token.connect(caller).mint(caller.address, 1n))
        .to.be.revertedWithCustomError(token, "RewardTokenUnauthorizedMinter")
        .withArgs(caller.address);
    }
    expect(await token.totalSupply()).to.equal(5n);
  });

  it("rejects a zero minter", async function () {
    const factory = await ethers.getContractFactory("RewardToken");
    await expect(factory.deploy("N", "S", ethers.ZeroAddress)).to.be.revertedWithCustomError(
      factory,
      "RewardTokenInvalidMinter",
    );
  });

  it("lets only the minter open an account, which changes no balance and emits nothing", async function () {
    const { token, minter, holder, stranger } = await networkHelpers.loadFixture(deployStandalone);
    await expect(token.connect(stranger).openAccount(holder.address))
      .to.be.revertedWithCustomError(token, "RewardTokenUnauthorizedMinter")
      .withArgs(stranger.address);
    await expect(token.connect(minter).openAccount(holder.address)).to.not.emit(token, "Transfer");
    expect(await token.isOpen(holder.address)).to.equal(true);
    expect(await token.balanceOf(holder.address)).to.equal(0n);
    // Opening an account that holds tokens is a no-op.
    await token.connect(minter).mint(holder.address, 7n);
    await token.connect(minter).openAccount(holder.address);
    expect(await token.balanceOf(holder.address)).to.equal(7n);
    expect(await token.totalSupply()).to.equal(7n);
  });

  it("keeps ERC-20 balances through transfers: emptied accounts stay open and read zero", async function () {
    const { token, minter, holder, stranger } = await networkHelpers.loadFixture(deployStandalone);
    await token.connect(minter).mint(holder.address, 10n);
    await expect(token.connect(holder).transfer(stranger.address, 11n))
      .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
      .withArgs(holder.address, 10n, 11n);
    await expect(token.connect(holder).transfer(stranger.address, 10n))
      .to.emit(token, "Transfer")
      .withArgs(holder.address, stranger.address, 10n);
    expect(await token.balanceOf(holder.address)).to.equal(0n);
    expect(await token.balanceOf(stranger.address)).to.equal(10n);
    expect(await token.isOpen(holder.address)).to.equal(true);
    expect(await token.isOpen(stranger.address)).to.equal(true);
    // A transfer to oneself changes nothing; a zero transfer from an empty account is allowed.
    await token.connect(stranger).transfer(stranger.address, 4n);
    expect(await token.balanceOf(stranger.address)).to.equal(10n);
    await token.connect(holder).transfer(stranger.address, 0n);
    await expect(token.connect(holder).transfer(ethers.ZeroAddress, 0n))
      .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
      .withArgs(ethers.ZeroAddress);
    // Receiving again into the emptied, still open, slot.
    await token.connect(stranger).transfer(holder.address, 3n);
    expect(await token.balanceOf(holder.address)).to.equal(3n);
    expect(await token.balanceOf(stranger.address)).to.equal(7n);
    expect(await token.totalSupply()).to.equal(10n);
    // transferFrom spends the allowance and checks the balance the same way.
    await token.connect(holder).approve(minter.address, 5n);
    await expect(token.connect(minter).transferFrom(holder.address, minter.address, 4n))
      .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
      .withArgs(holder.address, 3n, 4n);
    await token.connect(minter).transferFrom(holder.address, minter.address, 3n);
    expect(await token.allowance(holder.address, minter.address)).to.equal(2n);
    expect(await token.balanceOf(minter.address)).to.equal(3n);
  });

  it("supports EIP-2612 permits", async function () {
    const { token, minter, holder, stranger } = await networkHelpers.loadFixture(deployStandalone);
    await token.connect(minter).mint(holder.address, 100n);
    const deadline = BigInt((await networkHelpers.time.latest()) + 600);
    const { chainId } = await ethers.provider.getNetwork();
    const sig = ethers.Signature.from(
      await holder.signTypedData(
        { name: "Test Reward", version: "1", chainId, verifyingContract: await token.getAddress() },
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: holder.address, spender: stranger.address, value: 40n, nonce: 0n, deadline },
      ),
    );
    await token.permit(holder.address, stranger.address, 40n, deadline, sig.v, sig.r, sig.s);
    expect(await token.allowance(holder.address, stranger.address)).to.equal(40n);
    await token.connect(stranger).transferFrom(holder.address, stranger.address, 40n);
    expect(await token.balanceOf(stranger.address)).to.equal(40n);
  });
});
