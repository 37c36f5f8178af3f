//! MSP tenant calls (`/api/integrations/msp/tenants`).
//!
//! They always run against the MSP account itself (no `account` parameter).
//! The tenant's `id` is the account id to use in [`crate::Scope::Account`].
//! `delete_tenant` uses `DELETE /api/integrations/msp/tenants/{id}`, which the
//! official Go client sends but the spec and docs do not list: unverified.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::adopt::Created;
use crate::client::{Call, Client};
use crate::error::ApiError;
use crate::kind::encode_segment;
use crate::models::{
    CreateTenantRequest, DnsChallengeResponse, DnsVerification, TenantResponse, UpdateTenantRequest,
};
use crate::retry::Method;
use crate::scope::Scope;

const TENANTS: &str = "/api/integrations/msp/tenants";

impl Client {
    /// Every tenant of the MSP account.
    pub async fn list_tenants(&self) -> Result<Vec<TenantResponse>, ApiError> {
        self.tenant_call(Method::Get, TENANTS.to_owned(), None)
            .await
    }

    /// Creates a tenant. The answer is 200 with the tenant.
    pub async fn create_tenant(
        &self,
        req: &CreateTenantRequest,
    ) -> Result<TenantResponse, ApiError> {
        let body = to_body(req)?;
        self.tenant_call(Method::Post, TENANTS.to_owned(), Some(&body))
            .await
    }

    /// Creates a tenant; when the outcome is unknown, adopts the tenant with
    /// the same domain (case-insensitive) if it landed, else creates again.
    pub async fn create_tenant_or_adopt(
        &self,
        req: &CreateTenantRequest,
    ) -> Result<Created<TenantResponse>, ApiError> {
        self.settle(
            async || self.create_tenant(req).await,
            async || {
                let tenants = self.list_tenants().await?;
                Ok(tenants
                    .into_iter()
                    .find(|t| t.domain.eq_ignore_ascii_case(&req.domain)))
            },
        )
        .await
    }

    /// Renames a tenant or changes its groups (the domain is fixed).
    pub async fn update_tenant(
        &self,
        id: &str,
        req: &UpdateTenantRequest,
    ) -> Result<TenantResponse, ApiError> {
        let body = to_body(req)?;
        let path = format!("{TENANTS}/{}", encode_segment(id));
        self.tenant_call(Method::Put, path, Some(&body)).await
    }

    /// Asks NetBird to verify the tenant's domain: `POST .../tenants/{id}/dns`, no body.
    /// NetBird looks for a TXT record at the domain holding the tenant's `dns_challenge`:
    /// 200 is [`DnsVerification::Verified`]; 501 ("DNS Challenge Failed", with
    /// `DNSChallengeResponse`) is [`DnsVerification::Failed`] with the value the record needs.
    /// Any other answer is an error (404: no such tenant). A 501 is never retried (a definite
    /// answer, see [`crate::decide`]).
    pub async fn verify_tenant_dns(&self, id: &str) -> Result<DnsVerification, ApiError> {
        let path = format!("{TENANTS}/{}/dns", encode_segment(id));
        let call = Call {
            method: Method::Post,
            path,
            query: Vec::new(),
            scope: &Scope::Own,
            body: None,
        };
        let reply = self.execute(&call).await?;
        if reply.status == 501 {
            let parsed: Option<DnsChallengeResponse> = serde_json::from_slice(&reply.body).ok();
            return match parsed {
                Some(c) => Ok(DnsVerification::Failed {
                    dns_challenge: c.dns_challenge,
                }),
                None => Err(reply.status_error(&call)),
            };
        }
        reply.json(&call).map(|_| DnsVerification::Verified)
    }

    /// Deletes a tenant (unverified endpoint; see the module docs).
    pub async fn delete_tenant(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("{TENANTS}/{}", encode_segment(id));
        self.call(Method::Delete, &Scope::Own, path, None)
            .await
            .map(drop)
    }

    async fn tenant_call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let value = self.call(method, &Scope::Own, path.clone(), body).await?;
        serde_json::from_value(value).map_err(|e| ApiError::Decode {
            method,
            path,
            status: 200,
            detail: e.to_string(),
        })
    }
}

fn to_body(req: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(req).map_err(|e| ApiError::Usage(format!("cannot encode request: {e}")))
}
