// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/**
 * @title RewardToken
 * @notice The FedLedger reward token: a plain ERC-20 with 18 decimals and EIP-2612 permits.
 *
 * Supply only ever grows through {mint}, and only the immutable {minter} may call it. In FedLedger the
 * minter is the ContributionLedger, which deploys this token from its own constructor, so "the ledger
 * is the only minter" holds by construction and can be checked by anyone: `token.minter() == ledger`.
 * There is no burn, no admin and no upgrade path: `totalSupply()` is always the sum of every reward
 * the ledger ever recorded.
 */
contract RewardToken is ERC20, ERC20Permit {
    /// @notice The only account allowed to mint (the ContributionLedger); fixed at deployment.
    address public immutable minter;

    /// @notice `caller` is not the {minter}.
    error RewardTokenUnauthorizedMinter(address caller);

    /// @notice The minter given to the constructor is the zero address.
    error RewardTokenInvalidMinter();

    /**
     * @param name_ ERC-20 name (also the EIP-712 domain name of permits).
     * @param symbol_ ERC-20 symbol.
     * @param minter_ The only account that may ever mint (the ContributionLedger).
     */
    constructor(
        string memory name_,
        string memory symbol_,
        address minter_
    ) ERC20(name_, symbol_) ERC20Permit(name_) {
        if (minter_ == address(0)) revert RewardTokenInvalidMinter();
        minter = minter_;
    }

    /**
     * @notice Mints `amount` new tokens to `to` (emits `Transfer(address(0), to, amount)`).
     * @dev Only the {minter}. The ledger calls it once per rewarded contribution, with `to` = itself.
     * @param to Receiver of the new tokens.
     * @param amount Amount in token wei (18 decimals).
     */
    function mint(address to, uint256 amount) external {
        if (msg.sender != minter) revert RewardTokenUnauthorizedMinter(msg.sender);
        _mint(to, amount);
    }
}
