//! Random secrets and their hashes, shared by API tokens, login sessions,
//! password salts, upload staging names and data fingerprints.

use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The SHA-256 of `bytes`, in lowercase hexadecimal.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("no randomness from the system: {e}")))?;
    Ok(bytes)
}

/// `N` random bytes from the operating system, in hexadecimal.
pub(crate) fn random_hex<const N: usize>() -> Result<String, AppError> {
    Ok(hex::encode(random_bytes::<N>()?))
}
