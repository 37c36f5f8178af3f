//! DNS zones and their records (`/api/dns/zones`, `/api/dns/zones/{id}/records`), as
//! NetBird's zones and records managers answer them, driven over HTTP.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use serde_json::{Value, json};

fn zone(domain: &str, g: &str) -> Value {
    json!({"name": "internal", "domain": domain, "enable_search_domain": false,
        "distribution_groups": [g]})
}

fn record(name: &str, kind: &str, content: &str) -> Value {
    json!({"name": name, "type": kind, "content": content, "ttl": 300})
}

/// Creates a zone for `internal.example.com` and answers its id and its records path.
async fn setup(api: &Api, q: &str) -> (String, String) {
    let g = api.group(q, "dns").await;
    let z = api
        .post(
            &format!("/api/dns/zones{q}"),
            zone("internal.example.com", &g),
        )
        .await;
    assert_eq!(z.code(), 200, "{}", z.body);
    let id = z.id();
    let rs = format!("/api/dns/zones/{id}/records");
    (id, rs)
}

#[tokio::test]
async fn zone_crud_and_records_in_its_answer() {
    let api = Api::start().await;
    let g = api.group("", "dns").await;
    let created = api
        .post("/api/dns/zones", zone("internal.example.com", &g))
        .await;
    assert_eq!(created.code(), 200, "POST answers 200: {}", created.body);
    assert_eq!(created.body["enabled"], true, "enabled defaults to true");
    assert_eq!(created.body["records"], json!([]));
    assert_eq!(created.body["distribution_groups"], json!([g]));
    let z = created.id();
    let rs = format!("/api/dns/zones/{z}/records");
    let a = api
        .post(&rs, record("db.internal.example.com", "A", "10.0.0.5"))
        .await;
    assert_eq!(a.code(), 200, "{}", a.body);
    assert_eq!(a.body["type"], "A");
    assert_eq!(a.body["ttl"], 300);
    let got = api.get(&format!("/api/dns/zones/{z}")).await;
    assert_eq!(got.body["records"], json!([a.body]));
    let list = api.get("/api/dns/zones").await.body;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["records"][0]["id"], a.body["id"]);

    let body = json!({"name": "renamed", "domain": "internal.example.com", "enabled": false,
        "enable_search_domain": true, "distribution_groups": [g]});
    let put = api.put(&format!("/api/dns/zones/{z}"), body).await;
    assert_eq!(put.code(), 200, "{}", put.body);
    assert_eq!(put.body["name"], "renamed");
    assert_eq!(put.body["enabled"], false);
    assert_eq!(put.body["records"].as_array().unwrap().len(), 1);

    let del = api.delete(&format!("/api/dns/zones/{z}")).await;
    assert_eq!((del.code(), del.body), (200, json!({})));
    assert_error(
        &api.get(&format!("/api/dns/zones/{z}")).await,
        404,
        "not found",
    );
    let world = api.world();
    let account = &world["accounts"][api.msp()];
    assert_eq!(
        account["dns_records"],
        json!([]),
        "records go with the zone"
    );

    let events = api.get("/api/events/audit").await.body;
    let codes: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["activity_code"].as_str().unwrap())
        .collect();
    // Newest first: the records' deletes come just before the zone's.
    assert_eq!(
        codes[..5],
        [
            "dns.zone.delete",
            "dns.zone.record.delete",
            "dns.zone.update",
            "dns.zone.record.create",
            "dns.zone.create",
        ]
    );
    let newest = &events.as_array().unwrap()[0];
    assert_eq!(newest["activity"], "DNS zone deleted");
    assert_eq!(newest["meta"]["domain"], "internal.example.com");
    let rec = &events.as_array().unwrap()[1];
    assert_eq!(rec["activity"], "DNS zone record deleted");
    assert_eq!(rec["meta"]["zone_name"], "renamed");
    assert_eq!(rec["meta"]["content"], "10.0.0.5");
}

#[tokio::test]
async fn zone_checks() {
    let api = Api::start().await;
    let g = api.group("", "dns").await;
    let cases = [
        (
            json!({"name": "", "domain": "a.example.com", "enable_search_domain": false,
            "distribution_groups": [g]}),
            "zone name is required",
        ),
        (
            json!({"name": "n".repeat(256), "domain": "a.example.com", "enable_search_domain": false,
            "distribution_groups": [g]}),
            "zone name exceeds maximum length of 255 characters",
        ),
        (zone("*.example.com", &g), "invalid zone domain format"),
        (zone("bad domain", &g), "invalid zone domain format"),
        (
            json!({"name": "n", "domain": "a.example.com", "enable_search_domain": false,
            "distribution_groups": []}),
            "at least one distribution group is required",
        ),
        (
            zone("a.example.com", "nosuchgroup"),
            "group: nosuchgroup not found",
        ),
    ];
    for (body, message) in cases {
        assert_error(&api.post("/api/dns/zones", body).await, 422, message);
    }
    let missing = json!({"name": "n", "domain": "a.example.com", "distribution_groups": [g]});
    assert_error(
        &api.post("/api/dns/zones", missing).await,
        422,
        "missing field",
    );
    assert_error(
        &api.call(reqwest::Method::POST, "/api/dns/zones", None)
            .await,
        400,
        "couldn't parse json request",
    );

    let z = api
        .post("/api/dns/zones", zone("a.example.com", &g))
        .await
        .id();
    let again = api.post("/api/dns/zones", zone("a.example.com", &g)).await;
    assert_error(&again, 409, "zone with domain a.example.com already exists");
    // Names may repeat; domains may not.
    let other = api.post("/api/dns/zones", zone("b.example.com", &g)).await;
    assert_eq!(other.code(), 200, "{}", other.body);

    let path = format!("/api/dns/zones/{z}");
    let moved = api.put(&path, zone("c.example.com", &g)).await;
    assert_error(&moved, 422, "zone domain cannot be updated");
    let bad = api.put(&path, zone("a.example.com", "nosuchgroup")).await;
    assert_error(&bad, 422, "group: nosuchgroup not found");
    let unknown = api
        .put("/api/dns/zones/nope", zone("a.example.com", &g))
        .await;
    assert_error(&unknown, 404, "not found");
    // The body is checked before the zone is looked up.
    let invalid = api
        .put(
            "/api/dns/zones/nope",
            json!({"name": "", "domain": "a.example.com",
            "enable_search_domain": false, "distribution_groups": [g]}),
        )
        .await;
    assert_error(&invalid, 422, "zone name is required");
    assert_error(&api.delete("/api/dns/zones/nope").await, 404, "not found");
}

#[tokio::test]
async fn the_peer_dns_domain_is_not_a_zone() {
    let api = Api::start().await;
    let g = api.group("", "dns").await;
    let account = api.get("/api/accounts").await.body[0].clone();
    let id = account["id"].as_str().unwrap();
    let mut settings = account["settings"].clone();
    settings["dns_domain"] = json!("peers.example.com");
    let put = api
        .put(
            &format!("/api/accounts/{id}"),
            json!({"settings": settings}),
        )
        .await;
    assert_eq!(put.code(), 200, "{}", put.body);
    let z = api
        .post("/api/dns/zones", zone("peers.example.com", &g))
        .await;
    assert_error(
        &z,
        422,
        "zone domain peers.example.com conflicts with peer dns domain",
    );
}

#[tokio::test]
async fn record_checks() {
    let api = Api::start().await;
    let (_, rs) = setup(&api, "").await;
    let cases = [
        (record("", "A", "10.0.0.1"), "record name is required"),
        (
            record("bad name", "A", "10.0.0.1"),
            "invalid record name format",
        ),
        (
            record("a.internal.example.com", "", "10.0.0.1"),
            "record type is required",
        ),
        (
            record("a.internal.example.com", "A", ""),
            "a record is required",
        ),
        (
            record("a.internal.example.com", "A", "fd00::1"),
            "a record must be a valid ipv4 address",
        ),
        (
            record("a.internal.example.com", "AAAA", ""),
            "aaaa record is required",
        ),
        (
            record("a.internal.example.com", "AAAA", "10.0.0.1"),
            "aaaa record must be a valid ipv6 address",
        ),
        (
            record("a.internal.example.com", "CNAME", "*.example.com"),
            "invalid cname target format",
        ),
        (
            record("a.internal.example.com", "MX", "mail.example.com"),
            "invalid record type, must be a, aaaa, or cname",
        ),
        (
            json!({"name": "a.internal.example.com", "type": "A", "content": "10.0.0.1", "ttl": -1}),
            "ttl cannot be negative",
        ),
        (
            record("a.elsewhere.com", "A", "10.0.0.1"),
            "record name does not belong to zone",
        ),
        (
            record("xinternal.example.com", "A", "10.0.0.1"),
            "record name does not belong to zone",
        ),
    ];
    for (body, message) in cases {
        assert_error(&api.post(&rs, body).await, 422, message);
    }
    // A wildcard name and the zone's own domain belong to it.
    for name in ["*.internal.example.com", "internal.example.com"] {
        let ok = api.post(&rs, record(name, "A", "10.0.0.1")).await;
        assert_eq!(ok.code(), 200, "{name}: {}", ok.body);
    }
    // The body is checked before the zone is looked up; then the zone (404).
    let unknown = "/api/dns/zones/nope/records";
    let bad = api.post(unknown, record("", "A", "10.0.0.1")).await;
    assert_error(&bad, 422, "record name is required");
    let good = api
        .post(unknown, record("a.example.com", "A", "10.0.0.1"))
        .await;
    assert_error(&good, 404, "zone not found: nope");
    // Reads do not look the zone up.
    let listed = api.get(unknown).await;
    assert_eq!((listed.code(), listed.body), (200, json!([])));
    assert_error(&api.get(&format!("{unknown}/x")).await, 404, "not found");
    assert_error(
        &api.delete(&format!("{unknown}/x")).await,
        404,
        "zone not found",
    );
}

#[tokio::test]
async fn duplicate_and_cname_conflicts() {
    let api = Api::start().await;
    let (_, rs) = setup(&api, "").await;
    let name = "db.internal.example.com";
    let first = api.post(&rs, record(name, "A", "10.0.0.5")).await;
    assert_eq!(first.code(), 200, "{}", first.body);
    let same = api.post(&rs, record(name, "A", "10.0.0.5")).await;
    assert_error(&same, 409, "identical record already exists");
    let second = api.post(&rs, record(name, "A", "10.0.0.6")).await;
    assert_eq!(second.code(), 200, "A records of one name may repeat");
    let cname = api
        .post(&rs, record(name, "CNAME", "other.example.com"))
        .await;
    assert_error(
        &cname,
        422,
        "an a, aaaa, or cname record with name db.internal.example.com already exists",
    );
    let www = "www.internal.example.com";
    let c = api.post(&rs, record(www, "CNAME", name)).await;
    assert_eq!(c.code(), 200, "{}", c.body);
    let a = api.post(&rs, record(www, "AAAA", "fd00::1")).await;
    assert_error(&a, 422, "already exists");

    // An update that changes only the TTL is not checked against itself.
    let path = format!("{rs}/{}", first.id());
    let ttl = json!({"name": name, "type": "A", "content": "10.0.0.5", "ttl": 60});
    let put = api.put(&path, ttl).await;
    assert_eq!((put.code(), &put.body["ttl"]), (200, &json!(60)));
    // Changing it into the other record is.
    let dup = api.put(&path, record(name, "A", "10.0.0.6")).await;
    assert_error(&dup, 409, "identical record already exists");
    assert_error(
        &api.put(&format!("{rs}/nope"), ttl_body(name)).await,
        404,
        "not found",
    );
    let got = api.get(&path).await;
    assert_eq!(got.body["content"], "10.0.0.5");
    let del = api.delete(&path).await;
    assert_eq!((del.code(), del.body), (200, json!({})));
    assert_error(&api.get(&path).await, 404, "dns record not found");
    let list = api.get(&rs).await.body;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

fn ttl_body(name: &str) -> Value {
    json!({"name": name, "type": "A", "content": "10.0.0.9", "ttl": 1})
}

#[tokio::test]
async fn a_record_is_found_only_under_its_zone() {
    let api = Api::start().await;
    let (_, rs) = setup(&api, "").await;
    let r = api
        .post(&rs, record("db.internal.example.com", "A", "10.0.0.5"))
        .await
        .id();
    let g = api.group("", "other").await;
    let other = api
        .post("/api/dns/zones", zone("other.example.com", &g))
        .await
        .id();
    let elsewhere = format!("/api/dns/zones/{other}/records/{r}");
    assert_error(&api.get(&elsewhere).await, 404, "dns record not found");
    assert_error(&api.delete(&elsewhere).await, 404, "dns record not found");
}

#[tokio::test]
async fn zones_are_per_tenant() {
    let api = Api::start().await;
    let t = api.tenant("acme.com").await;
    let q = format!("?account={t}");
    let (z, rs) = setup(&api, &q).await;
    let a = api
        .post(
            &format!("{rs}{q}"),
            record("db.internal.example.com", "A", "10.0.0.5"),
        )
        .await;
    assert_eq!(a.code(), 200, "{}", a.body);
    assert_eq!(api.get("/api/dns/zones").await.body, json!([]));
    assert_error(
        &api.get(&format!("/api/dns/zones/{z}")).await,
        404,
        "not found",
    );
    let in_tenant = api.get(&format!("/api/dns/zones/{z}{q}")).await;
    assert_eq!(in_tenant.body["records"][0]["id"], a.body["id"]);
    // The same domain in another account is its own zone.
    let (mine, _) = setup(&api, "").await;
    assert_ne!(mine, z);
    let world = api.world();
    let zones = &world["accounts"][&t]["dns_zones"];
    assert_eq!(zones.as_array().unwrap().len(), 1);
    assert_eq!(world["accounts"][&t]["dns_records"][0]["zone_id"], json!(z));
}
