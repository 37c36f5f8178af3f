//! The identity-provider sync integrations (`/api/integrations/{google,azure,okta-scim,scim}-idp`)
//! and event streaming (`/api/event-streaming`), collections with numeric ids, as the sandbox
//! reads NetBird's spec (docs/sandbox.md): 422 checks in the order of the required fields,
//! credentials never answered, a SCIM token in full in the create's answer only, an update
//! that keeps what it does not send, the generic integration audit codes.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use serde_json::json;

const GOOGLE: &str = "/api/integrations/google-idp";
const AZURE: &str = "/api/integrations/azure-idp";
const SCIM: &str = "/api/integrations/scim-idp";
const OKTA: &str = "/api/integrations/okta-scim-idp";
const STREAMS: &str = "/api/event-streaming";

#[tokio::test]
async fn checks_answer_422_in_the_order_of_the_required_fields() {
    let api = Api::start().await;
    let cases = [
        (GOOGLE, json!({}), "service_account_key is required"),
        (
            GOOGLE,
            json!({"service_account_key": "k"}),
            "customer_id is required",
        ),
        (
            GOOGLE,
            json!({"service_account_key": "k", "customer_id": "C1", "sync_interval": 299}),
            "sync_interval must be at least 300",
        ),
        (
            AZURE,
            json!({"client_id": "a"}),
            "client_secret is required",
        ),
        (
            AZURE,
            json!({"client_secret": "s"}),
            "client_id is required",
        ),
        (
            AZURE,
            json!({"client_secret": "s", "client_id": "a"}),
            "tenant_id is required",
        ),
        (
            AZURE,
            json!({"client_secret": "s", "client_id": "a", "tenant_id": "t"}),
            "host is required",
        ),
        (
            AZURE,
            json!({"client_secret": "s", "client_id": "a", "tenant_id": "t", "host": "azure.cn"}),
            "invalid host",
        ),
        (SCIM, json!({"provider": "p"}), "prefix is required"),
        (SCIM, json!({"prefix": "p"}), "provider is required"),
        (
            OKTA,
            json!({"group_prefixes": []}),
            "connection_name is required",
        ),
        (STREAMS, json!({"config": {}}), "platform is required"),
        (
            STREAMS,
            json!({"platform": "splunk", "config": {}}),
            "invalid platform",
        ),
        (
            STREAMS,
            json!({"platform": "datadog", "config": {"api_url": "u"}}),
            "config.api_key is required",
        ),
        (
            STREAMS,
            json!({"platform": "s3", "config": {"access_key": "a", "secret_key": "s", "region": "r"}}),
            "config.bucket_name is required",
        ),
        (
            STREAMS,
            json!({"platform": "firehose", "config": {"access_key": "a", "secret_key": "s",
                "stream_name": "n"}}),
            "config.region is required",
        ),
        (
            STREAMS,
            json!({"platform": "generic_http", "config": {}}),
            "config.url is required",
        ),
    ];
    for (path, body, message) in cases {
        let answer = api.post(path, body.clone()).await;
        assert_error(&answer, 422, message);
        assert_eq!(answer.message(), message, "{path} {body}");
    }
    let not_strings = api
        .post(
            STREAMS,
            json!({"platform": "generic_http", "config": {"url": 1}}),
        )
        .await;
    assert_error(&not_strings, 422, "invalid field config.url");
    let world = api.world().to_string();
    assert!(
        !world.contains("\"customer_id\""),
        "nothing stored: {world}"
    );
}

#[tokio::test]
async fn credentials_are_never_answered_and_an_update_keeps_what_it_does_not_send() {
    let api = Api::start().await;
    let body = json!({"service_account_key": "Google-Key-One", "customer_id": "C1",
        "group_prefixes": ["Eng"]});
    let created = api.post(GOOGLE, body).await;
    assert_eq!(created.code(), 200, "{}", created.body);
    let id = created.body["id"].clone();
    assert!(id.is_i64(), "a numeric id: {id}");
    assert_eq!(created.body["sync_interval"], 300, "the default");
    assert_eq!(created.body["enabled"], true);
    assert!(created.body.get("service_account_key").is_none());
    let item = format!("{GOOGLE}/{id}");
    assert_eq!(api.get(&item).await.body, created.body);

    // Only what is sent changes; `enabled` only an update sets.
    let updated = api
        .put(
            &item,
            json!({"enabled": false, "service_account_key": "Google-Key-Two"}),
        )
        .await;
    assert_eq!(updated.code(), 200, "{}", updated.body);
    assert_eq!(updated.body["enabled"], false);
    assert_eq!(updated.body["customer_id"], "C1");
    assert_eq!(updated.body["group_prefixes"], json!(["Eng"]));
    assert_error(
        &api.put(&item, json!({"customer_id": ""})).await,
        422,
        "customer_id is required",
    );
    let world = api.world().to_string();
    assert!(!world.contains("Google-Key-One") && !world.contains("Google-Key-Two"));

    // Azure: the update cannot change `host`; the secret is never answered.
    let azure = api
        .post(
            AZURE,
            json!({"client_secret": "Azure-Secret", "client_id": "a", "tenant_id": "t",
                "host": "microsoft.us"}),
        )
        .await;
    assert_eq!(azure.code(), 200, "{}", azure.body);
    let azure_item = format!("{AZURE}/{}", azure.body["id"]);
    let kept = api.put(&azure_item, json!({"host": "microsoft.com"})).await;
    assert_eq!(kept.body["host"], "microsoft.us");
    assert!(kept.body.get("client_secret").is_none());

    // Deleted: 200 `{}`, then 404; the audit log has the generic integration codes.
    let deleted = api.delete(&item).await;
    assert_eq!((deleted.code(), &deleted.body), (200, &json!({})));
    assert_error(&api.get(&item).await, 404, "integration not found");
    let events = api.get("/api/events/audit").await.body;
    let codes: Vec<(&str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["activity_code"]
                .as_str()
                .unwrap()
                .starts_with("integration.")
        })
        .map(|e| {
            (
                e["activity_code"].as_str().unwrap(),
                e["meta"]["platform"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("integration.delete", "google-idp"),
            ("integration.update", "azure-idp"),
            ("integration.create", "azure-idp"),
            ("integration.update", "google-idp"),
            ("integration.create", "google-idp"),
        ]
    );
}

#[tokio::test]
async fn a_scim_token_is_answered_in_full_by_the_create_only() {
    let api = Api::start().await;
    for (path, body) in [
        (SCIM, json!({"prefix": "acme", "provider": "jumpcloud"})),
        (OKTA, json!({"connection_name": "acme-okta"})),
    ] {
        let created = api.post(path, body).await;
        assert_eq!(created.code(), 200, "{}", created.body);
        let token = created.body["auth_token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("nbs_") && token.len() == 44, "{token}");
        let item = format!("{path}/{}", created.body["id"]);
        let read = api.get(&item).await.body;
        let masked = read["auth_token"].as_str().unwrap();
        assert_eq!(masked.len(), token.len());
        assert!(
            masked.starts_with(&token[..7]) && masked.ends_with("****"),
            "{masked}"
        );
        let listed = api.get(path).await.body;
        assert_eq!(listed[0]["auth_token"], masked);
        assert!(read.get("connection_name").is_none(), "{read}");
        assert!(!api.world().to_string().contains(&token));
    }
}

#[tokio::test]
async fn event_streaming_masks_secret_values_and_merges_an_updated_config() {
    let api = Api::start().await;
    let created = api
        .post(
            STREAMS,
            json!({"platform": "s3", "enabled": true, "config": {"access_key": "AKIA1",
                "secret_key": "S3-Secret-One", "bucket_name": "logs", "region": "eu-central-1"}}),
        )
        .await;
    assert_eq!(created.code(), 200, "{}", created.body);
    assert_eq!(created.body["config"]["secret_key"], "****");
    assert_eq!(created.body["config"]["bucket_name"], "logs");
    let item = format!("{STREAMS}/{}", created.body["id"]);
    let updated = api
        .put(
            &item,
            json!({"platform": "datadog", "enabled": false, "config": {"region": "us-east-1"}}),
        )
        .await;
    assert_eq!(updated.code(), 200, "{}", updated.body);
    assert_eq!(
        updated.body["platform"], "s3",
        "platform is ignored on update"
    );
    assert_eq!(updated.body["enabled"], false);
    assert_eq!(updated.body["config"]["region"], "us-east-1");
    assert_eq!(updated.body["config"]["bucket_name"], "logs", "kept");
    assert_error(
        &api.put(
            &item,
            json!({"enabled": true, "config": {"bucket_name": ""}}),
        )
        .await,
        422,
        "config.bucket_name is required",
    );
    assert!(!api.world().to_string().contains("S3-Secret-One"));
}
