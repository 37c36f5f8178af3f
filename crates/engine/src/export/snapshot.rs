//! What the export reads: one account's objects, through the API, as a [`Snapshot`].

use std::collections::BTreeMap;

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
    /// The objects of every exported kind of the catalogue, in the order the API listed them.
    pub objects: BTreeMap<ResourceKind, Vec<Live>>,
    pub dns: Value,
    pub settings: Value,
}

/// One live object, and the id of the object whose collection holds it (a network's, for a
/// network resource).
#[derive(Debug, Clone)]
pub struct Live {
    pub parent: Option<String>,
    pub value: Value,
}

impl Snapshot {
    /// The objects of `kind`, in the order the API listed them.
    pub fn values(&self, kind: ResourceKind) -> Vec<&Value> {
        self.objects
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|l| &l.value)
            .collect()
    }

    /// The objects of `kind` under the object with live id `parent`.
    pub fn children(&self, kind: ResourceKind, parent: &str) -> Vec<&Value> {
        self.objects
            .get(&kind)
            .into_iter()
            .flatten()
            .filter(|l| l.parent.as_deref() == Some(parent))
            .map(|l| &l.value)
            .collect()
    }

    /// The snapshot with `values` added as objects of `kind` (under `parent`).
    #[must_use]
    pub fn with(mut self, kind: ResourceKind, parent: Option<&str>, values: Vec<Value>) -> Self {
        self.objects
            .entry(kind)
            .or_default()
            .extend(values.into_iter().map(|value| Live {
                parent: parent.map(str::to_owned),
                value,
            }));
        self
    }
}

/// The kinds an export reads by listing: the catalogue's exported collections.
fn listed() -> impl Iterator<Item = ResourceKind> {
    ResourceKind::ALL
        .into_iter()
        .filter(|k| k.spec().exported && !k.spec().singleton)
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

/// Lists every exported kind: the top-level collections first, then the collections under
/// each of their objects (a network's resources and routers), in catalogue order.
async fn read_objects(client: &Client, scope: &Scope, snap: &mut Snapshot) -> Result<(), Diag> {
    for kind in listed().filter(|k| k.spec().parent_kind().is_none()) {
        let items = client
            .list(kind, scope, None)
            .await
            .map_err(failed(kind.name()))?;
        *snap = std::mem::take(snap).with(kind, None, items);
    }
    for parent_kind in listed() {
        let children: Vec<ResourceKind> = listed()
            .filter(|c| c.spec().parent_kind() == Some(parent_kind))
            .collect();
        if children.is_empty() {
            continue;
        }
        let parents: Vec<String> = snap
            .values(parent_kind)
            .into_iter()
            .filter_map(|p| p.get("id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        for id in parents {
            for &kind in &children {
                let items = client
                    .list(kind, scope, Some(&id))
                    .await
                    .map_err(failed(kind.name()))?;
                *snap = std::mem::take(snap).with(kind, Some(&id), items);
            }
        }
    }
    snap.dns = client
        .get_singleton(ResourceKind::DnsSettings, scope)
        .await
        .map_err(failed("the DNS settings"))?;
    // One read each of the exported singletons an account may have none of (the EDR
    // integrations): 404 means none.
    for kind in ResourceKind::ALL {
        let spec = kind.spec();
        if !(spec.exported && spec.may_be_absent) {
            continue;
        }
        match client.get_singleton(kind, scope).await {
            Ok(v) => *snap = std::mem::take(snap).with(kind, None, vec![v]),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(failed(kind.name())(e)),
        }
    }
    Ok(())
}
