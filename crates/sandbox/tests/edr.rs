//! The EDR integrations (`/api/integrations/edr/<vendor>`), one per vendor and account, on a
//! path without an id, as the sandbox reads NetBird's spec and Go client (docs/sandbox.md):
//! 404 until created, 409 on a second create, 422 checks, credentials never answered.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use serde_json::{Value, json};

const FALCON: &str = "/api/integrations/edr/falcon";

fn falcon(g: &str, secret: &str) -> Value {
    json!({"client_id": "falcon-client", "secret": secret, "cloud_id": "eu-1",
        "groups": [g], "zta_score_threshold": 75})
}

#[tokio::test]
async fn absent_until_created_then_one_per_account_and_deleted_on_its_path() {
    let api = Api::start().await;
    let g = api.group("", "laptops").await;
    assert_error(&api.get(FALCON).await, 404, "falcon integration not found");
    assert_error(&api.put(FALCON, falcon(&g, "s")).await, 404, "not found");
    assert_error(&api.delete(FALCON).await, 404, "not found");

    let created = api.post(FALCON, falcon(&g, "Secret-One")).await;
    assert_eq!(created.code(), 200, "{}", created.body);
    let id = created.body["id"].clone();
    assert!(id.is_i64(), "a numeric id: {id}");
    assert_eq!(created.body["enabled"], true, "enabled defaults to true");
    assert_eq!(
        created.body["groups"][0]["id"],
        json!(g),
        "groups as objects"
    );
    assert_eq!(created.body["groups"][0]["name"], "laptops");
    for hidden in ["secret", "client_id"] {
        assert!(created.body.get(hidden).is_none(), "{hidden} answered");
    }
    assert_eq!(api.get(FALCON).await.body, created.body);

    // One per account: a second create is refused, an update keeps the id and creation.
    let again = api.post(FALCON, falcon(&g, "Secret-Two")).await;
    assert_error(&again, 409, "falcon integration already exists");
    let mut body = falcon(&g, "Secret-Two");
    body["zta_score_threshold"] = json!(90);
    let updated = api.put(FALCON, body).await;
    assert_eq!(updated.code(), 200, "{}", updated.body);
    assert_eq!(updated.body["id"], id);
    assert_eq!(updated.body["zta_score_threshold"], 90);
    assert_eq!(updated.body["created_at"], created.body["created_at"]);

    // Another vendor is another integration; a tenant has its own.
    let intune = api
        .post(
            "/api/integrations/edr/intune",
            json!({"client_id": "app", "tenant_id": "azure", "secret": "s", "groups": [],
                "last_synced_interval": 24}),
        )
        .await;
    assert_eq!(intune.code(), 200, "{}", intune.body);
    let tenant = api.tenant("acme.com").await;
    let scoped = format!("{FALCON}?account={tenant}");
    assert_error(&api.get(&scoped).await, 404, "not found");

    // Falcon's delete answers 202 with no body (the spec); then it is gone.
    let deleted = api.delete(FALCON).await;
    assert_eq!(deleted.code(), 202);
    assert_eq!(deleted.body, Value::Null);
    assert_error(&api.get(FALCON).await, 404, "not found");
    let deleted = api.delete("/api/integrations/edr/intune").await;
    assert_eq!((deleted.code(), &deleted.body), (200, &json!({})));

    // The world keeps digests of the credentials, never the values; the audit log has
    // NetBird's generic integration codes.
    let world = api.world().to_string();
    assert!(!world.contains("Secret-One") && !world.contains("Secret-Two"));
    let events = api.get("/api/events/audit").await.body;
    let codes: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["activity_code"].as_str().unwrap())
        .filter(|c| c.starts_with("integration."))
        .collect();
    assert_eq!(
        codes,
        [
            "integration.delete",
            "integration.delete",
            "integration.create",
            "integration.update",
            "integration.create",
        ]
    );
}

#[tokio::test]
async fn checks_answer_422_in_the_order_of_the_required_fields() {
    let api = Api::start().await;
    let g = api.group("", "laptops").await;
    let cases: [(&str, Value, u16, &str); 8] = [
        (FALCON, json!({}), 422, "client_id is required"),
        (FALCON, json!({"client_id": "c"}), 422, "secret is required"),
        (
            FALCON,
            json!({"client_id": "c", "secret": "s"}),
            422,
            "cloud_id is required",
        ),
        (
            FALCON,
            json!({"client_id": "c", "secret": "s", "cloud_id": "eu-1", "zta_score_threshold": 101}),
            422,
            "zta_score_threshold must be between 0 and 100",
        ),
        (
            FALCON,
            json!({"client_id": "c", "secret": "s", "cloud_id": "eu-1", "groups": ["nope"]}),
            404,
            "group not found: nope",
        ),
        (
            "/api/integrations/edr/intune",
            json!({"client_id": "c", "tenant_id": "t", "secret": "s", "last_synced_interval": 12}),
            422,
            "last_synced_interval must be at least 24",
        ),
        (
            "/api/integrations/edr/sentinelone",
            json!({"api_token": "t", "api_url": "https://s1", "last_synced_interval": 24,
                "match_attributes": {"network_status": "offline"}}),
            422,
            "invalid network_status",
        ),
        (
            "/api/integrations/edr/huntress",
            json!({"api_key": "k", "last_synced_interval": 24}),
            422,
            "api_secret is required",
        ),
    ];
    for (path, body, code, message) in cases {
        assert_error(&api.post(path, body).await, code, message);
        assert_error(&api.get(path).await, 404, "not found");
    }
    let a = api
        .post(
            FALCON,
            json!({"client_id": "c", "secret": "s", "cloud_id": "eu-1", "groups": [g],
            "zta_score_threshold": 0}),
        )
        .await;
    assert_eq!(a.code(), 200, "{}", a.body);
}
