//! Binding optional numbers through sqlx's `Any` driver, so that a number
//! and a missing number take the same parameter type.
//!
//! sqlx 0.9's `Any` driver hands PostgreSQL a missing `f64`
//! (`Option::<f64>::None`) as a `float4` NULL: it maps the NULL of its
//! double kind to `f32` and the NULL of its real kind to `f64`. PostgreSQL
//! statements are prepared once per connection and cached by their text,
//! with the parameter types of their first execution; so an `INSERT` whose
//! first row has no final score and whose next row has one fails with
//! "incorrect binary data format in bind parameter N" (importing a
//! workspace with open and closed objectives did). [`Number`] binds a
//! missing number with the kind that reaches PostgreSQL as `float8`, the
//! type of a present number. SQLite is untyped and takes either as NULL.
//!
//! The store's round trips on PostgreSQL (objectives with and without final
//! scores in one import) fail if a later sqlx maps these otherwise.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Encode, Type};

/// An optional number, bound as a double precision value or NULL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number(pub Option<f64>);

impl Type<Any> for Number {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <f64 as Type<Any>>::type_info()
    }
}

impl Encode<'_, Any> for Number {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        match self.0 {
            Some(v) => <f64 as Encode<'_, Any>>::encode_by_ref(&v, buf),
            // The NULL that reaches PostgreSQL as `float8` (see above).
            None => <Option<f32> as Encode<'_, Any>>::encode_by_ref(&None, buf),
        }
    }
}
