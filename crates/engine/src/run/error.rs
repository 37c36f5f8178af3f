//! Why a step failed at apply time: typed, with the API's error as the source.
//!
//! A failed step does not stop the run (the executor skips its dependants and goes on); the
//! report and the `step_failed` event carry the error's message, and its help when it has one.

use miette::Diagnostic;
use onboard_netbird::ApiError;

use crate::api::cache::{CallerRefusal, ProofError};
use crate::api::converge::ConvergeError;
use crate::playbook::render::RenderError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum StepError {
    /// A template that could not be rendered with the values known at apply time.
    /// Keeps the template's file and span ([`RenderError::to_diag`]).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Tenant groups of the wrong shape.
    #[error("tenant groups: {0}")]
    TenantGroups(#[source] serde_json::Error),
    /// A `for_each` value that gives no instances.
    #[error(transparent)]
    ForEach(#[from] crate::playbook::instance::ForEachError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Converge(#[from] ConvergeError),
    #[error(
        "the API does not scope requests to account {account} (they ran in account {ran_in}), \
         so nothing was written there"
    )]
    #[diagnostic(help("{why}"))]
    Scope {
        account: String,
        ran_in: String,
        why: String,
    },
    /// The scope gate refused to go on in a tenant (see [`crate::api::gate`]).
    #[error(transparent)]
    Unproven(CallerRefusal),
    #[error("the tenant is not ready")]
    NoTenant,
    /// NetBird keeps a domain unique over all accounts: another account (not a tenant of this
    /// MSP) has it.
    #[error("the domain {domain} is taken by another NetBird account, so no tenant can have it")]
    #[diagnostic(help(
        "use the customer's own domain; if the customer already has a NetBird account, invite \
         it to your MSP (POST /api/integrations/msp/tenants/{{id}}/invite) and apply again to \
         adopt it"
    ))]
    DomainTaken {
        domain: String,
        #[source]
        source: ApiError,
    },
    /// A `tenant_dns_verification` step NetBird answered with 501: the TXT record is missing.
    /// `at` is the step's `file:line:col`; the help names the record to create.
    #[error(
        "{at}: NetBird could not verify the domain {domain} of tenant {tenant}: its DNS does \
         not hold the tenant's DNS challenge yet (501 DNS Challenge Failed)"
    )]
    #[diagnostic(help(
        "publish the TXT record NetBird asks for in {domain}'s DNS with the value \
         {dns_challenge} (`tenant.dns_challenge` in templates; the MSP portal shows the record's \
         name, which the API does not give), wait until it resolves, then run apply again: the \
         steps that depend on this one run once it passes"
    ))]
    DnsNotVerified {
        at: String,
        tenant: String,
        domain: String,
        dns_challenge: String,
    },
    /// A `tenant_dns_verification` step whose `tenant_id` names no tenant (NetBird's 404).
    #[error("{at}: no tenant of the MSP account has the id {tenant} (404 {message})")]
    #[diagnostic(help(
        "`tenant_id` takes a tenant's id, as `GET /api/integrations/msp/tenants` lists them; \
         leave it out to verify the playbook's own tenant (`{{{{ tenant.id }}}}`)"
    ))]
    UnknownTenant {
        at: String,
        tenant: String,
        message: String,
    },
    /// The belt behind the secret check at validation: a rendered value holds a secret this
    /// run has seen (its value is never printed, only where it came from).
    #[error(
        "the rendered {what} holds the secret `{from}` (or a case change of it): NetBird would \
         store it in plain text, so nothing was sent"
    )]
    #[diagnostic(help(
        "a value made from a secret may only go to outputs (written with `--outputs FILE`); \
         reference a field that is not secret, such as the object's `id`"
    ))]
    SecretInValue { what: String, from: String },
    /// The state could not be saved (the store's message: the file or the database).
    #[error(transparent)]
    #[diagnostic(help("the object exists but is not recorded; a re-run adopts it"))]
    State(StoreError),
    /// The state could not be saved before a create whose secret onboard keeps (the mark that
    /// names the secret if the run ends before recording it), so nothing was sent.
    #[error(transparent)]
    #[diagnostic(help("nothing was created: the state must be saved before a secret is made"))]
    BeforeCreate(StoreError),
}

impl From<ProofError> for StepError {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::Api(e) => StepError::Api(e),
            ProofError::NotScoped {
                account,
                ran_in,
                why,
            } => StepError::Scope {
                account,
                ran_in,
                why,
            },
        }
    }
}

impl StepError {
    /// The message and its help, in one line, for the report and the journal.
    pub fn report(&self) -> String {
        match self.help() {
            Some(help) => format!("{self}; {help}"),
            None => self.to_string(),
        }
    }
}
