//! Resource kinds: one per playbook resource type, and their API paths.
//!
//! [`ResourceKind`] (declared with the catalogue, one line a kind) names a kind (`group`, `setup_key`, ...; the playbook's
//! `type` strings). [`ResourceKind::spec`] returns its static [`KindSpec`] from
//! the catalogue. Path helpers fill `{parent}` placeholders with
//! percent-encoded ids, so an id taken from input can never change the path's
//! shape.

use std::fmt;
use std::str::FromStr;

use crate::catalog;
use crate::error::ApiError;
use crate::spec::KindSpec;

pub use crate::catalog::ResourceKind;

impl ResourceKind {
    /// The static description of this kind.
    pub fn spec(self) -> &'static KindSpec {
        catalog::spec(self)
    }

    /// The playbook type name: `group`, `setup_key`, ...
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Parses a playbook type name.
    pub fn from_name(name: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ResourceKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceKind::from_name(s).ok_or_else(|| format!("unknown resource type `{s}`"))
    }
}

impl KindSpec {
    /// The collection path with the parent filled in, e.g.
    /// `/api/networks/<network_id>/resources`. For singletons, the path that is
    /// read and written (`/api/dns/settings`; account settings need the account
    /// id as `parent`).
    pub fn collection_path(&self, parent: Option<&str>) -> Result<String, ApiError> {
        let placeholder = self.collection.find('{');
        match (placeholder, parent) {
            (None, None) => Ok(self.collection.to_owned()),
            (Some(start), Some(id)) if !id.is_empty() => {
                let end = self.collection[start..]
                    .find('}')
                    .map_or(self.collection.len(), |e| start + e + 1);
                Ok(format!(
                    "{}{}{}",
                    &self.collection[..start],
                    encode_segment(id),
                    &self.collection[end..]
                ))
            }
            (Some(_), _) => Err(ApiError::Usage(format!(
                "{}: needs a parent {}",
                self.name,
                self.parent.unwrap_or("id")
            ))),
            (None, Some(_)) => Err(ApiError::Usage(format!(
                "{}: takes no parent id",
                self.name
            ))),
        }
    }

    /// The path of one object: the collection path plus `/<id>`.
    pub fn item_path(&self, parent: Option<&str>, id: &str) -> Result<String, ApiError> {
        if id.is_empty() {
            return Err(ApiError::Usage(format!("{}: empty id", self.name)));
        }
        Ok(format!(
            "{}/{}",
            self.collection_path(parent)?,
            encode_segment(id)
        ))
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ResourceKind::ALL {
            assert_eq!(ResourceKind::from_name(k.name()), Some(k));
            assert_eq!(k.spec().kind, k);
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.name());
        }
        assert_eq!(
            "setup_key".parse::<ResourceKind>(),
            Ok(ResourceKind::SetupKey)
        );
        assert!("widget".parse::<ResourceKind>().is_err());
    }

    #[test]
    fn paths() {
        let g = ResourceKind::Group.spec();
        assert_eq!(g.collection_path(None).unwrap(), "/api/groups");
        assert_eq!(g.item_path(None, "abc").unwrap(), "/api/groups/abc");
        assert!(g.collection_path(Some("x")).is_err());
        let r = ResourceKind::NetworkResource.spec();
        assert_eq!(
            r.item_path(Some("n1"), "r/../x").unwrap(),
            "/api/networks/n1/resources/r%2F..%2Fx"
        );
        assert!(r.collection_path(None).is_err());
        let t = ResourceKind::Token.spec();
        assert_eq!(
            t.collection_path(Some("u 1")).unwrap(),
            "/api/users/u%201/tokens"
        );
        let a = ResourceKind::AccountSettings.spec();
        assert_eq!(a.collection_path(Some("acc")).unwrap(), "/api/accounts/acc");
        assert_eq!(
            ResourceKind::DnsSettings
                .spec()
                .collection_path(None)
                .unwrap(),
            "/api/dns/settings"
        );
    }
}
