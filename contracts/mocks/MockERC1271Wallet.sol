// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/**
 * @title MockERC1271Wallet
 * @notice Test-only smart-contract wallet: a signature is valid when its EOA `owner` signed the hash.
 * Used to show that node registration accepts ERC-1271 wallets. Never deployed outside tests.
 */
contract MockERC1271Wallet is IERC1271 {
    /// @notice The EOA whose signatures this wallet accepts.
    address public immutable owner;

    /// @param owner_ The EOA whose signatures this wallet accepts.
    constructor(address owner_) {
        owner = owner_;
    }

    /**
     * @notice ERC-1271: `hash` is approved when `owner` signed it.
     * @param hash The signed digest.
     * @param signature The owner's 65-byte ECDSA signature.
     * @return magicValue `IERC1271.isValidSignature.selector` when valid, 0xffffffff otherwise.
     */
    function isValidSignature(
        bytes32 hash,
        bytes calldata signature
    ) external view returns (bytes4 magicValue) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        return
            err == ECDSA.RecoverError.NoError && recovered == owner
                ? IERC1271.isValidSignature.selector
                : bytes4(0xffffffff);
    }
}
