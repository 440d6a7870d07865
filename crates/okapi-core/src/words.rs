//! Enums spelled as words: how each variant is written in files, the
//! database and the command line, and parsing back with an error that lists
//! the accepted words.

/// Implements `as_str`, `words`, `FromStr` and `Display` for a fieldless
/// enum from a variant → word table.
#[macro_export]
macro_rules! impl_words {
    ($ty:ty, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// The word for this variant.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word),+
                }
            }

            /// Every accepted word, in declaration order.
            pub fn words() -> &'static [&'static str] {
                &[$($word),+]
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok(Self::$variant),)+
                    other => Err(format!(
                        "unknown {} `{}` (expected one of: {})",
                        $what,
                        other,
                        <$ty>::words().join(", ")
                    )),
                }
            }
        }
    };
}
