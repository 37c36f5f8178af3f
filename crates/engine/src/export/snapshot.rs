//! What the export reads: one account's objects, through the API, as a [`Snapshot`].

use onboard_netbird::{ApiError, Client, ResourceKind, Scope, TenantResponse};
use serde_json::Value;

use crate::diag::Diag;

/// Everything the export reads from one account.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The account's domain (a tenant's domain for a tenant).
    pub domain: String,
    /// The tenant, when the account is a tenant of the PAT's MSP account.
    pub tenant: Option<TenantResponse>,
    /// Groups of the MSP account that the tenant's `groups` name.
    pub msp_groups: Vec<Value>,
    pub groups: Vec<Value>,
    pub setup_keys: Vec<Value>,
    pub policies: Vec<Value>,
    pub posture_checks: Vec<Value>,
    pub networks: Vec<Value>,
    /// `(network id, resource)`.
    pub resources: Vec<(String, Value)>,
    /// `(network id, router)`.
    pub routers: Vec<(String, Value)>,
    pub routes: Vec<Value>,
    pub nameserver_groups: Vec<Value>,
    pub users: Vec<Value>,
    pub dns: Value,
    pub settings: Value,
}

fn failed(what: &str) -> impl Fn(ApiError) -> Diag + '_ {
    move |e| Diag::plain(format!("export: cannot read {what}: {e}"))
}

/// Reads everything the export needs from `account` (or the PAT's own account).
pub async fn read(client: &Client, account: Option<&str>) -> Result<Snapshot, Diag> {
    let scope = account.map_or(Scope::Own, |a| Scope::Account(a.to_owned()));
    let own = client
        .list_accounts(&scope)
        .await
        .map_err(failed("the account"))?
        .into_iter()
        .next()
        .ok_or_else(|| Diag::plain("export: the API listed no account"))?;
    let mut snap = Snapshot {
        domain: own.domain.clone(),
        settings: Value::Object(own.settings),
        ..Snapshot::default()
    };
    if let Some(id) = account {
        if own.id != id {
            return Err(Diag::plain(format!(
                "export: account `{id}` is not reachable with this PAT (NetBird answered from \
                 account `{}`)",
                own.id
            ))
            .help(
                "pass the id of a tenant of your MSP account (`GET /api/integrations/msp/tenants`)",
            ));
        }
        snap.tenant = tenant(client, id).await?;
    }
    if let Some(t) = &snap.tenant {
        snap.domain.clone_from(&t.domain);
        if !t.groups.is_empty() {
            snap.msp_groups = client
                .list(ResourceKind::Group, &Scope::Own, None)
                .await
                .map_err(failed("the MSP account's groups"))?;
        }
    }
    read_objects(client, &scope, &mut snap).await?;
    Ok(snap)
}

/// The tenant with this id, if the PAT's account is an MSP account that has it.
async fn tenant(client: &Client, id: &str) -> Result<Option<TenantResponse>, Diag> {
    match client.list_tenants().await {
        Ok(tenants) => Ok(tenants.into_iter().find(|t| t.id == id)),
        // Not an MSP account: the account is exported without a tenant block.
        Err(ApiError::Status { status: 403, .. }) => Ok(None),
        Err(e) => Err(failed("the MSP tenants")(e)),
    }
}

async fn read_objects(client: &Client, scope: &Scope, snap: &mut Snapshot) -> Result<(), Diag> {
    let list = async |kind: ResourceKind| {
        client
            .list(kind, scope, None)
            .await
            .map_err(failed(kind.name()))
    };
    snap.groups = list(ResourceKind::Group).await?;
    snap.setup_keys = list(ResourceKind::SetupKey).await?;
    snap.policies = list(ResourceKind::Policy).await?;
    snap.posture_checks = list(ResourceKind::PostureCheck).await?;
    snap.networks = list(ResourceKind::Network).await?;
    snap.routes = list(ResourceKind::Route).await?;
    snap.nameserver_groups = list(ResourceKind::NameserverGroup).await?;
    snap.users = list(ResourceKind::User).await?;
    for network in &snap.networks {
        let Some(id) = network.get("id").and_then(Value::as_str) else {
            continue;
        };
        for (kind, into) in [
            (ResourceKind::NetworkResource, &mut snap.resources),
            (ResourceKind::NetworkRouter, &mut snap.routers),
        ] {
            let items = client
                .list(kind, scope, Some(id))
                .await
                .map_err(failed(kind.name()))?;
            into.extend(items.into_iter().map(|i| (id.to_owned(), i)));
        }
    }
    snap.dns = client
        .get_singleton(ResourceKind::DnsSettings, scope)
        .await
        .map_err(failed("the DNS settings"))?;
    Ok(())
}
