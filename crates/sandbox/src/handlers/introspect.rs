//! `GET /__sandbox/log` and `GET /__sandbox/world`: the request log and the whole world, for
//! tests and benchmarks; `POST /__sandbox/dns/txt`: publishes a TXT record in the sandbox's
//! public DNS (what verifies a tenant's domain). No auth, no rate limit, no faults, and they
//! are not logged.

use super::prelude::*;
use crate::world::view;

/// `GET /__sandbox/log`.
pub async fn log(State(app): AppState) -> ApiResult {
    json(&app.log.snapshot())
}

/// `GET /__sandbox/world`.
pub async fn world(State(app): AppState) -> ApiResult {
    json(&view::view(&app.lock()))
}

/// The body of `POST /__sandbox/dns/txt`.
#[derive(Debug, Deserialize)]
pub struct TxtRecord {
    /// The record's name: a tenant's domain (any case, a trailing dot ignored).
    pub name: String,
    /// Its value: the tenant's `dns_challenge`.
    pub value: String,
}

/// `POST /__sandbox/dns/txt`: adds a TXT record (a value already there is kept once) and
/// answers the name's values.
pub async fn publish_txt(State(app): AppState, body: Bytes) -> ApiResult {
    let record: TxtRecord = parse(&body)?;
    validate::non_empty("name", &record.name)?;
    app.write(|w| {
        let values = publish(w, &record.name, &record.value);
        json(&serde_json::json!({ "name": super::tenants::txt_name(&record.name), "values": values }))
    })
    .await
}

/// Adds the value to the name's TXT record; the name's values after.
pub fn publish(w: &mut World, name: &str, value: &str) -> Vec<String> {
    let values = w
        .txt_records
        .entry(super::tenants::txt_name(name))
        .or_default();
    if !values.iter().any(|v| v == value) {
        values.push(value.to_owned());
    }
    values.clone()
}
