//! [`Item`]: how every stored object of a collection is modelled: its id, the request body
//! that made it (the spec, as a create or update sent it, after the kind's checks and
//! normalisation) and, where the server adds fields of its own (a derived type, the owner in
//! the path, timestamps, a masked key), those in `extra`.
//!
//! In the data file an item is one flat object (`{"id", <spec fields>, <extra fields>}`);
//! it also loads the older layout that nested the spec under `"spec"`.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A stored object: id, request body, server-held fields.
#[derive(Debug, Clone, Serialize)]
pub struct Item<S, X = Nothing> {
    /// The id.
    pub id: String,
    /// The request body it was made from (the stored spec).
    #[serde(flatten)]
    pub spec: S,
    /// What the server adds.
    #[serde(flatten)]
    pub extra: X,
}

/// No server-held fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nothing {}

impl<'de, S: DeserializeOwned, X: DeserializeOwned> Deserialize<'de> for Item<S, X> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::deserialize(d)?;
        if let Some(Value::Object(spec)) = map.remove("spec") {
            map.extend(spec);
        }
        let id = match map.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Err(D::Error::missing_field("id")),
        };
        let spec = S::deserialize(Value::Object(map.clone())).map_err(D::Error::custom)?;
        let extra = X::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Item { id, spec, extra })
    }
}

/// A `Vec` (or other default-able) request field that may be absent or `null`, as
/// `Option<Vec<_>>` accepts, stored as its value: `#[serde(default, deserialize_with =
/// "nullable")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
