//! Running code of other crates on hostile input so that its failures
//! become errors.
//!
//! The Parquet decoder asserts invariants that hostile bytes can break,
//! and a custom SQL query may drive DataFusion where no one has been.
//! [`contained`] runs such a step: should it panic, the panic is an error
//! carrying the panic's words, and the panic hook stays silent for it (the
//! error is reported instead). Every other panic reaches the hook that was
//! installed before.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`contained`].
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once, the hook that stays silent inside [`contained`].
fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `step`; a panic in it is returned as `Err` with its message.
pub fn contained<T>(step: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let outer = CONTAINED.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(step));
    CONTAINED.with(|c| c.set(outer));
    result.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(contained(|| 7), Ok(7));
        let v: Vec<u8> = Vec::new();
        let e = contained(|| v[3]).unwrap_err();
        assert!(e.contains("index out of bounds"), "{e}");
        assert_eq!(
            contained(|| panic!("{}", "formatted")),
            Err::<(), _>("formatted".into())
        );
        // Nested: the inner one is contained, the outer goes on.
        assert_eq!(
            contained(|| contained(|| panic!("inner")).is_err()),
            Ok(true)
        );
    }
}
