// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/**
 * @title RewardToken
 * @notice The FedLedger reward token: an ERC-20 with 18 decimals and EIP-2612 permits.
 *
 * Supply only ever grows through {mint}, and only the immutable {minter} may call it. In FedLedger the
 * minter is the ContributionLedger, which deploys this token from its own constructor, so "the ledger
 * is the only minter" holds by construction and can be checked by anyone: `token.minter() == ledger`.
 * There is no burn, no admin and no upgrade path: `totalSupply()` is always the sum of every reward
 * the ledger ever recorded.
 *
 * Balance slots stay open: a balance is stored as `balance + 1` once the account has been opened, by
 * the minter ({openAccount}, which the ledger calls when a node registers) or by its first receipt,
 * and an emptied account keeps its open slot. A node's first claim, and every receipt after an
 * account was emptied, therefore writes a non-zero slot (2,900 gas) instead of a zero one (20,000);
 * the node's registration, relayed and paid by the coordinator, pays for opening the slot once.
 * Balances, supply, allowances, events and errors are those of OpenZeppelin's ERC20.
 */
contract RewardToken is ERC20, ERC20Permit {
    /// @notice The only account allowed to mint (the ContributionLedger); fixed at deployment.
    address public immutable minter;

    /// @dev account => 0 (never opened) or its balance + 1.
    mapping(address account => uint256) private _openBalances;
    uint256 private _supply;

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

    /**
     * @notice Opens `account`'s balance slot so that its first receipt costs what any later one does.
     * Changes no balance and emits nothing; a no-op for an account that is already open.
     * @dev Only the {minter}. The ledger calls it when a node registers its wallet.
     * @param account The account to open.
     */
    function openAccount(address account) external {
        if (msg.sender != minter) revert RewardTokenUnauthorizedMinter(msg.sender);
        if (_openBalances[account] == 0) _openBalances[account] = 1;
    }

    /// @notice Whether `account`'s balance slot is open (see the contract's notice).
    /// @param account Any account.
    /// @return True once opened by the minter or by a receipt.
    function isOpen(address account) external view returns (bool) {
        return _openBalances[account] != 0;
    }

    /// @inheritdoc ERC20
    function totalSupply() public view override returns (uint256) {
        return _supply;
    }

    /// @inheritdoc ERC20
    function balanceOf(address account) public view override returns (uint256) {
        uint256 stored = _openBalances[account];
        return stored == 0 ? 0 : stored - 1;
    }

    /**
     * @dev OpenZeppelin's ERC20._update over the open-slot encoding: the same checks, errors and
     * event. A sender's new stored value is at most its old one; a receiver's is checked, since
     * `balance + 1` could exceed 2^256 - 1 for an account holding the whole of a maximal supply.
     */
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0)) {
            _supply += value;
        } else {
            uint256 stored = _openBalances[from];
            uint256 fromBalance = stored == 0 ? 0 : stored - 1;
            if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
            unchecked {
                _openBalances[from] = fromBalance - value + 1;
            }
        }
        if (to == address(0)) {
            unchecked {
                _supply -= value;
            }
        } else {
            uint256 stored = _openBalances[to];
            _openBalances[to] = (stored == 0 ? 1 : stored) + value;
        }
        emit Transfer(from, to, value);
    }
}
