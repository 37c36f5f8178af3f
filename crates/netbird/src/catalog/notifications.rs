//! Notification channels: where an account's activity events go, by email or to a webhook
//! (`/api/integrations/notifications/channels`).

use super::BASE;
use crate::kind::ResourceKind;
use crate::spec::{
    Format, Identity, KindSpec, Lit, ObjectSpec, boolean, map, object, one_of, string, strings,
};

/// `target`: the spec's `oneOf` of `EmailTarget` (`emails`) and `WebhookTarget` (`url`,
/// `headers`), as one object; which fields a type needs, NetBird checks (422).
pub(super) const NOTIFICATION_TARGET: ObjectSpec = ObjectSpec {
    schema: "EmailTarget|WebhookTarget",
    required: &[],
    fields: &[
        strings("emails").format(Format::Email).len(1, usize::MAX),
        string("url").len(1, usize::MAX),
        // Header values are never returned (answers mask them): compared through the digest
        // of the whole map that was sent.
        map("headers").write_only(),
    ],
};

pub(super) static NOTIFICATION_CHANNEL: KindSpec = KindSpec {
    kind: ResourceKind::NotificationChannel,
    name: "notification_channel",
    collection: "/api/integrations/notifications/channels",
    request_schema: "NotificationChannelRequest",
    required: &["type", "event_types", "enabled"],
    fields: &[
        one_of("type", &["email", "webhook"]),
        object("target", &NOTIFICATION_TARGET),
        // Codes of `GET /api/integrations/notifications/types` (activity codes such as
        // `user.join`); NetBird refuses an unknown one.
        strings("event_types").or(Lit::EmptyList),
        boolean("enabled").or(Lit::Bool(true)),
    ],
    response_schemas: &["NotificationChannelResponse"],
    response_fields: &["id", "type", "target", "event_types", "enabled"],
    // A channel has no name: it is found by its type and its target (the email list, or
    // the webhook's URL; the header values, never returned, identify nothing).
    identity: Identity::Fields(&["type", "target"]),
    // Webhook header values cannot be read back.
    exported: false,
    ..BASE
};
