//! [`Item`]: how every stored object of a collection is modelled: its id, the request body
//! that made it (the spec, as a create or update sent it, after the kind's checks and
//! normalisation) and, where the server adds fields of its own (a derived type, the owner in
//! the path, timestamps, a masked key), those in `extra`.
//!
//! In the data file an item is one flat object (`{"id", <spec fields>, <extra fields>}`).
//! It also loads the layouts written before: a spec nested under `"spec"`, and the two
//! request fields the old stored forms did not keep (see [`upgrade`]).

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
        upgrade(&mut map);
        let id = match map.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Err(D::Error::missing_field("id")),
        };
        let spec = S::deserialize(Value::Object(map.clone())).map_err(D::Error::custom)?;
        let extra = X::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Item { id, spec, extra })
    }
}

/// Fills in the request fields an older data file's objects lack: a network resource's
/// `groups` (its groups were, and are, kept in the groups' `resources`) and a token's
/// `expires_in` (whole days from its creation to its expiry).
fn upgrade(map: &mut Map<String, Value>) {
    let has = |map: &Map<String, Value>, k: &str| map.contains_key(k);
    if has(map, "network_id") && has(map, "address") && !has(map, "groups") {
        map.insert("groups".to_owned(), Value::Array(Vec::new()));
    }
    if has(map, "hash") && !has(map, "expires_in") {
        let secs = |k: &str| {
            let text = map.get(k).and_then(Value::as_str).unwrap_or_default();
            let ts =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339);
            ts.map_or(0, time::OffsetDateTime::unix_timestamp)
        };
        let days = (secs("expiration_date") - secs("created_at")) / 86_400;
        map.insert("expires_in".to_owned(), Value::from(days));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use crate::world::network::{NetworkResource, NetworkRouter};
    use crate::world::people::Token;

    #[test]
    fn loads_the_layouts_written_before_items() {
        let router: NetworkRouter = serde_json::from_value(json!({"id": "r", "network_id": "n",
            "spec": {"peer": "p", "metric": 1, "masquerade": true, "enabled": true}}))
        .unwrap();
        assert_eq!(
            (router.extra.network_id.as_str(), router.spec.metric),
            ("n", 1)
        );
        let resource: NetworkResource =
            serde_json::from_value(json!({"id": "r", "network_id": "n",
            "name": "h", "address": "10.0.0.1/32", "type": "host", "enabled": true}))
            .unwrap();
        assert!(resource.spec.groups.is_empty());
        let token: Token = serde_json::from_value(json!({"id": "t", "user_id": "u", "name": "ci",
            "expiration_date": "2026-01-31T00:00:00Z", "created_by": "u",
            "created_at": "2026-01-01T00:00:00Z", "hash": "h"}))
        .unwrap();
        assert_eq!(token.spec.expires_in, 30);
        let again: Token = serde_json::from_value(serde_json::to_value(&token).unwrap()).unwrap();
        assert_eq!(again.spec.expires_in, 30);
    }
}
