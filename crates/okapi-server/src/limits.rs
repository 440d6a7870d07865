//! Limits on login attempts: per client address and per account, so that
//! a password can be neither guessed from one place nor sprayed over many
//! accounts from many places at speed. Kept in memory (a restart forgets
//! them); counted on every attempt, right or wrong.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use okapi_app::AppError;

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

/// Login attempts per account per minute.
pub const PER_ACCOUNT_PER_MINUTE: u32 = 5;
/// Login attempts per client address per minute.
pub const PER_ADDRESS_PER_MINUTE: u32 = 20;

/// Addresses and accounts counted before the forgiven ones are dropped.
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
pub struct LoginLimits {
    accounts: Keyed<String>,
    addresses: Keyed<IpAddr>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            accounts: RateLimiter::hashmap(per_minute(PER_ACCOUNT_PER_MINUTE)),
            addresses: RateLimiter::hashmap(per_minute(PER_ADDRESS_PER_MINUTE)),
        }
    }
}

impl LoginLimits {
    /// Counts an attempt on `account` from `address`; refused past either
    /// limit, saying when to try again.
    pub fn attempt(&self, address: IpAddr, account: &str) -> Result<(), AppError> {
        // Keys whose attempts are all forgiven go, so that a flood of
        // addresses or account names cannot grow the counts without end.
        if self.addresses.len() + self.accounts.len() > MAX_KEYS {
            self.addresses.retain_recent();
            self.accounts.retain_recent();
        }
        let clock = DefaultClock::default();
        let wait = |not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>| {
            let secs = not_until.wait_time_from(clock.now()).as_secs() + 1;
            AppError::TooManyRequests(format!("too many login attempts: try again in {secs} s"))
        };
        self.addresses.check_key(&address).map_err(wait)?;
        self.accounts
            .check_key(&account.to_lowercase())
            .map_err(wait)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_and_an_address_each_get_their_attempts_per_minute() {
        let limits = LoginLimits::default();
        let here: IpAddr = [127, 0, 0, 1].into();
        let there: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..PER_ACCOUNT_PER_MINUTE {
            limits.attempt(here, "ana").unwrap();
        }
        // The account is spent, from any address, whatever its case.
        let e = limits.attempt(there, "ANA").unwrap_err();
        assert_eq!(e.code(), okapi_app::Code::TooManyRequests);
        assert!(
            e.to_string()
                .starts_with("too many login attempts: try again in "),
            "{e}"
        );
        // Other accounts from `here`: up to the address's limit in all
        // (ana's five count, and the refused one from `there` does not).
        for i in PER_ACCOUNT_PER_MINUTE..PER_ADDRESS_PER_MINUTE {
            limits.attempt(here, &format!("user{i}")).unwrap();
        }
        assert!(limits.attempt(here, "someone-new").is_err());
        assert!(limits.attempt(there, "someone-new").is_ok());
    }
}
