//! User invites: an invite link for a user of an account on NetBird's embedded IdP
//! (`/api/users/invites`). The user exists only once the invite is accepted.

use super::BASE;
use crate::kind::ResourceKind;
use crate::spec::{Format, Identity, KindSpec, Lit, UpdateBody, one_of, ranged, string, strings};

/// The roles an invite may carry: the server refuses `owner` (422 `can't invite a user with
/// owner role`) and, unlike `POST /api/users`, takes any other text; onboard takes only
/// NetBird's roles.
const INVITE_ROLES: &[&str] = &["admin", "user", "billing_admin", "auditor", "network_admin"];

pub(super) static USER_INVITE: KindSpec = KindSpec {
    kind: ResourceKind::UserInvite,
    name: "user_invite",
    collection: "/api/users/invites",
    // `GET /api/users/invites/{token}` is the public page of an invite, by its token: an
    // invite is read from the list.
    get_item: false,
    request_schema: "UserInviteCreateRequest",
    required: &["email", "name", "role", "auto_groups"],
    fields: &[
        string("email").format(Format::Email),
        string("name").len(1, usize::MAX),
        one_of("role", INVITE_ROLES).or(Lit::Str("user")),
        strings("auto_groups")
            .refers(ResourceKind::Group)
            .or(Lit::EmptyList),
        // Seconds until the link expires; left out, NetBird's 72 hours. Never returned
        // (the answer has `expires_at`), so never compared.
        ranged("expires_in", 3_600, i64::MAX),
    ],
    // An invite cannot be changed: a changed name, role or groups replaces it (a new link).
    update: UpdateBody::Unsupported,
    response_schemas: &["UserInvite"],
    response_fields: &[
        "id",
        "email",
        "name",
        "role",
        "auto_groups",
        "expires_at",
        "created_at",
        "expired",
        "invite_token",
    ],
    // The link's token: in the create's answer only, then never again.
    secret_fields: &["invite_token"],
    // A second invite for an email, or an invite for a user's email: 409.
    unique_name: Some(("email", 409)),
    identity: Identity::Fields(&["email"]),
    // An invite belongs to one account and its link is shown once: nothing to carry over.
    exported: false,
    ..BASE
};
