//! Actions on the MSP account's tenants (`/api/integrations/msp/tenants/{id}/<action>`):
//! not objects, so nothing is read, compared or deleted; a step runs the action once
//! ([`KindSpec::msp_action`]).

use super::BASE;
use crate::kind::ResourceKind;
use crate::spec::{Identity, KindSpec, UpdateBody};

/// `POST /api/integrations/msp/tenants/{id}/dns` (no body): NetBird looks for a TXT record at
/// the tenant's domain holding the tenant's `dns_challenge`. 200 (no body): verified; 501
/// `DNSChallengeResponse {dns_challenge}`: not (yet); 404: no such tenant.
pub(super) static TENANT_DNS_VERIFICATION: KindSpec = KindSpec {
    kind: ResourceKind::TenantDnsVerification,
    name: "tenant_dns_verification",
    collection: "/api/integrations/msp/tenants/{tenant_id}/dns",
    parent: Some("tenant_id"),
    get_item: false,
    // No request body.
    request_schema: "",
    update: UpdateBody::Unsupported,
    // NetBird's 200 has no body: these are what onboard records of a verification, the
    // tenant it verified (`id` is the same id, which the state keeps).
    response_fields: &["id", "tenant_id", "verified"],
    identity: Identity::None,
    exported: false,
    msp_action: true,
    ..BASE
};
