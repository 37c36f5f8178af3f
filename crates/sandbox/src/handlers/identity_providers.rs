//! `/api/identity-providers`: an account's identity providers (OIDC connectors), checked as
//! NetBird's server checks them. The client secret is taken on every write and never
//! returned.
//!
//! What NetBird's server does (netbirdio/netbird, `management/server/identity_provider.go`,
//! `management/server/types/identity_provider.go`, handler
//! `management/server/http/handlers/idp/idp_handler.go`):
//!
//! - A body that is not JSON: 400 `couldn't parse JSON request`. `POST` and `PUT` take
//!   `IdentityProviderRequest` (`type`, `name`, `issuer`, `client_id`, `client_secret`) and
//!   answer 200 with `IdentityProvider` (`id`, `type`, `name`, `issuer`, `client_id`: the
//!   secret is never in an answer, not even the create's). `DELETE` answers 200 `{}`.
//! - `IdentityProvider.Validate`, 422 each, in order: `identity provider name is required`,
//!   `identity provider type is required`, `unsupported identity provider type` (oidc,
//!   zitadel, entra, google, okta, pocketid, microsoft, authentik, keycloak, adfs: the server
//!   takes two more than the spec's enum), `identity provider issuer is required` (except
//!   google and microsoft, whose issuer is built in), `identity provider issuer must be a
//!   valid URL` (a scheme and a host), `identity provider client ID is required`.
//! - Then the server fetches `<issuer>/.well-known/openid-configuration` and refuses (422) an
//!   issuer it cannot reach or whose document names another issuer. The sandbox reaches
//!   nothing outside 127.0.0.1: it checks the URL's shape only, and says so in the docs.
//! - Names are not unique; ids are generated. An unknown id: 404.
//! - Audit (`management/server/activity/codes.go`, 93 to 95): `identityprovider.create`,
//!   `identityprovider.update`, `identityprovider.delete` ("Identity provider created",
//!   "updated", "deleted"), target the provider, meta `name`, `type`, `issuer`.
//!
//! NetBird keeps providers in its embedded IdP, instance-wide, and answers `[]` (a read) or
//! 500 (a write) when the embedded IdP is off. The sandbox keeps them per account, as the API
//! presents them, and always has the embedded IdP. It keeps the SHA-256 of the client secret
//! (`client_secret_sha256` in its world document), never the secret: enough for a test to see
//! which secret was sent last.

use serde::Serialize;

use super::prelude::*;
use crate::world::item::Item;

/// The types NetBird's server takes.
const TYPES: &[&str] = &[
    "oidc",
    "zitadel",
    "entra",
    "google",
    "okta",
    "pocketid",
    "microsoft",
    "authentik",
    "keycloak",
    "adfs",
];

/// `IdentityProviderRequest`, as the server decodes it (absent strings are empty).
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderRequest {
    /// The provider's type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
    /// OIDC issuer URL.
    #[serde(default)]
    pub issuer: String,
    /// OAuth2 client id.
    #[serde(default)]
    pub client_id: String,
    /// OAuth2 client secret: stored as its digest.
    #[serde(default)]
    pub client_secret: String,
}

/// The stored form: the answer's fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderSpec {
    /// The provider's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Human-readable name.
    pub name: String,
    /// OIDC issuer URL.
    pub issuer: String,
    /// OAuth2 client id.
    pub client_id: String,
}

/// What the sandbox keeps of the secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecretDigest {
    /// Hex SHA-256 of the last client secret written.
    #[serde(default)]
    pub client_secret_sha256: String,
}

/// A stored provider.
pub type Provider = Item<ProviderSpec, SecretDigest>;

/// `/api/identity-providers`.
pub struct Providers;

impl Collection for Providers {
    type Item = Provider;
    type Create = ProviderRequest;
    type Update = ProviderRequest;
    type View<'a> = render::WithId<'a, ProviderSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/identity-providers",
        what: "identity provider",
        codes: [
            "identityprovider.create",
            "identityprovider.update",
            "identityprovider.delete",
        ],
        name: |p| &p.spec.name,
        view: |_, _, p| render::with_id(p),
    };
    const TEXTS: &[(&str, &str)] = &[
        ("identityprovider.create", "Identity provider created"),
        ("identityprovider.update", "Identity provider updated"),
        ("identityprovider.delete", "Identity provider deleted"),
    ];

    fn check_create(_: &World, _: &At, req: &ProviderRequest) -> Result<(), ApiError> {
        check(req)
    }
    fn check_update(_: &World, _: &At, req: &ProviderRequest) -> Result<(), ApiError> {
        check(req)
    }
    fn create(w: &mut World, at: &mut At, req: ProviderRequest) -> Built<Self> {
        let id = at.id(&mut w.ids);
        Ok(stored_form(id, req))
    }
    /// NetBird's Dex connector refuses a type change (`connector type change not allowed`),
    /// which the handler answers as an internal error: 500.
    fn update(w: &mut World, at: &mut At, req: ProviderRequest) -> Built<Self> {
        let old = stored::<Self>(w, at)?;
        if old.spec.kind != req.kind {
            return Err(ApiError::internal("connector type change not allowed"));
        }
        Ok(stored_form(old.id, req))
    }
    fn meta(p: &Provider, _: Verb) -> Vec<(&'static str, String)> {
        vec![
            ("name", p.spec.name.clone()),
            ("type", p.spec.kind.clone()),
            ("issuer", p.spec.issuer.clone()),
        ]
    }
}

fn stored_form(id: String, req: ProviderRequest) -> Provider {
    Provider {
        id,
        spec: ProviderSpec {
            kind: req.kind,
            name: req.name,
            issuer: req.issuer,
            client_id: req.client_id,
        },
        extra: SecretDigest {
            client_secret_sha256: crate::world::ids::hash_token(&req.client_secret),
        },
    }
}

/// `IdentityProvider.Validate`, in its order.
fn check(req: &ProviderRequest) -> Result<(), ApiError> {
    ensure(!req.name.is_empty(), "identity provider name is required")?;
    ensure(!req.kind.is_empty(), "identity provider type is required")?;
    ensure(
        TYPES.contains(&req.kind.as_str()),
        "unsupported identity provider type",
    )?;
    let built_in = matches!(req.kind.as_str(), "google" | "microsoft");
    ensure(
        built_in || !req.issuer.is_empty(),
        "identity provider issuer is required",
    )?;
    ensure(
        req.issuer.is_empty() || is_url(&req.issuer),
        "identity provider issuer must be a valid URL",
    )?;
    ensure(
        !req.client_id.is_empty(),
        "identity provider client ID is required",
    )
}

/// Go's `url.Parse` with a scheme and a host: `scheme://host[...]`.
fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    scheme_ok && !host.is_empty() && !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: &str, name: &str, issuer: &str, client_id: &str) -> ProviderRequest {
        ProviderRequest {
            kind: kind.into(),
            name: name.into(),
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: "s".into(),
        }
    }

    fn message(r: Result<(), ApiError>) -> String {
        r.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn checks_run_in_the_servers_order() {
        let ok = "https://login.example";
        assert_eq!(
            message(check(&req("", "", "", ""))),
            "identity provider name is required"
        );
        assert_eq!(
            message(check(&req("", "n", "", ""))),
            "identity provider type is required"
        );
        assert_eq!(
            message(check(&req("saml", "n", ok, "c"))),
            "unsupported identity provider type"
        );
        assert_eq!(
            message(check(&req("oidc", "n", "", "c"))),
            "identity provider issuer is required"
        );
        assert_eq!(
            message(check(&req("oidc", "n", "login.example", "c"))),
            "identity provider issuer must be a valid URL"
        );
        assert_eq!(
            message(check(&req("oidc", "n", ok, ""))),
            "identity provider client ID is required"
        );
        assert!(check(&req("google", "n", "", "c")).is_ok());
        assert!(check(&req("keycloak", "n", ok, "c")).is_ok());
    }
}
