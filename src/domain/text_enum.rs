//! Enums stored and exchanged as fixed words (`"email"`, `"notifying"`): one macro gives each the
//! same parse (with an error listing the choices), `as_str`, serde as the word, and `ALL`.

/// `text_enum! { /// doc \n pub enum Channel ("a channel") { Email = "email", … } }`
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and exchanged word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the word (surrounding spaces ignored); the error lists the choices.
            pub fn parse(input: &str) -> Result<$name, $crate::domain::Invalid> {
                let t = input.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == t).ok_or_else(|| {
                    let shown: String = t.chars().take(32).collect();
                    $crate::domain::Invalid(format!(
                        "'{}' is not {} ({})",
                        shown,
                        $what,
                        $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })
            }

            /// Parses a value read back from the database: a word that is not one of ours means
            /// the row is corrupt, which is an error, never a default.
            pub fn from_stored(input: &str) -> Result<$name, $crate::domain::Corrupt> {
                $name::parse(input).map_err(|_| $crate::domain::Corrupt {
                    what: stringify!($name),
                    value: input.chars().take(32).collect(),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // A visitor, so the parser's error carries the position of the value.
                struct Word;
                impl serde::de::Visitor<'_> for Word {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(f, "{}", $what)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(Word)
            }
        }

        impl From<$name> for sea_orm::Value {
            fn from(v: $name) -> sea_orm::Value {
                v.as_str().into()
            }
        }
    };
}
pub(crate) use text_enum;
