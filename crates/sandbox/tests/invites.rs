//! User invites (`/api/users/invites`), as NetBird's `CreateUserInvite`, `ListUserInvites`,
//! `RegenerateUserInvite` and `DeleteUserInvite` answer them, driven over HTTP.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use serde_json::{Value, json};

const ALL: &str = "/api/users/invites";

fn invite(email: &str, role: &str) -> Value {
    json!({"email": email, "name": "Bea", "role": role, "auto_groups": []})
}

#[tokio::test]
async fn the_token_is_shown_by_create_and_regenerate_only() {
    let api = Api::start().await;
    let g = api.group("", "staff").await;
    let body = json!({"email": "bea@example.com", "name": "Bea", "role": "admin",
        "auto_groups": [g], "expires_in": 7200});
    let created = api.post(ALL, body).await;
    assert_eq!(created.code(), 200, "{}", created.body);
    let token = created.body["invite_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("nbi_") && token.len() == 40, "{token}");
    assert_eq!(created.body["role"], "admin");
    assert_eq!(created.body["auto_groups"], json!([g]));
    assert_eq!(created.body["expired"], false);
    let id = created.id();

    let list = api.get(ALL).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert!(list[0].get("invite_token").is_none(), "{list}");
    let world = api.world().to_string();
    assert!(!world.contains(&token), "the world keeps no token");
    assert!(world.contains("token_sha256"), "but its digest: {world}");

    let again = api.post(&format!("{ALL}/{id}/regenerate"), json!({})).await;
    assert_eq!(again.code(), 200, "{}", again.body);
    let new = again.body["invite_token"].as_str().unwrap();
    assert!(new.starts_with("nbi_") && new != token, "{new}");
    assert!(again.body["invite_expires_at"].is_string());
    let short = api
        .post(&format!("{ALL}/{id}/regenerate"), json!({"expires_in": 60}))
        .await;
    assert_error(&short, 422, "invite expiration must be at least 1 hour");

    assert_eq!(api.delete(&format!("{ALL}/{id}")).await.code(), 200);
    assert_error(
        &api.delete(&format!("{ALL}/{id}")).await,
        404,
        "user invite not found",
    );
    let missing = api.post(&format!("{ALL}/{id}/regenerate"), json!({})).await;
    assert_error(&missing, 404, "user invite not found");

    let codes: Vec<String> = api.world()["accounts"][api.msp()]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["activity_code"].as_str().unwrap().to_owned())
        .filter(|c| c.starts_with("user.invite.link"))
        .collect();
    assert_eq!(
        codes,
        [
            "user.invite.link.create",
            "user.invite.link.regenerate",
            "user.invite.link.delete"
        ]
    );
}

#[tokio::test]
async fn create_checks_in_the_servers_order() {
    let api = Api::start().await;
    let nameless = json!({"email": "", "name": "", "role": "owner", "auto_groups": []});
    assert_error(&api.post(ALL, nameless).await, 422, "name can't be empty");
    let no_email = json!({"email": "", "name": "n", "role": "owner", "auto_groups": []});
    assert_error(&api.post(ALL, no_email).await, 422, "email can't be empty");
    let owner = invite("o@example.com", "Owner");
    assert_error(
        &api.post(ALL, owner).await,
        422,
        "can't invite a user with owner role",
    );
    // The owner of the MSP account is a user: its email is taken, in any case.
    let taken = invite("OWNER@msp.example.com", "user");
    assert_error(
        &api.post(ALL, taken).await,
        409,
        "user with this email already exists",
    );
    assert_eq!(
        api.post(ALL, invite("bea@example.com", "user"))
            .await
            .code(),
        200
    );
    let twice = invite("Bea@Example.com", "admin");
    assert_error(
        &api.post(ALL, twice).await,
        409,
        "invite already exists for this email",
    );
    let short = json!({"email": "c@example.com", "name": "C", "role": "user",
        "auto_groups": [], "expires_in": 3599});
    assert_error(
        &api.post(ALL, short).await,
        422,
        "invite expiration must be at least 1 hour",
    );
    assert_eq!(api.post(ALL, json!("x")).await.code(), 400);
}
