//! What happened and who is told: events, subscriptions, webhooks, the delivery log and the
//! audit log.

use super::access::{write_owned, Resource};
use super::images::registry_tag;
use super::{blocking, ok, page, paged, reply, ApiError, ApiResult, Principal, S};
use crate::auth::{self, Role};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use drydock_api::notify::{
    AddSubscription, AddWebhook, AuditList, AuditRecord, Delivery, DeliveryList, Event, EventList, Subscription,
    SubscriptionList, Webhook, WebhookCreated, WebhookList,
};
use drydock_api::PageQuery;
use drydock_policy::ImageTarget;

fn subscription_body(s: drydock_store::Subscription) -> Subscription {
    Subscription {
        id: s.id,
        account: s.account,
        kind: s.kind,
        tag: s.tag,
        created_at: s.created_at,
    }
}

pub(super) async fn events(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let store = s.store.clone();
    let list = blocking(move || Ok(store.events(&p.acting_account, limit, offset)?)).await?;
    let events = list
        .into_iter()
        .map(|e| Event {
            id: e.id,
            kind: e.kind,
            subject: e.subject,
            detail: e.detail,
            created_at: e.created_at,
        })
        .collect();
    ok(EventList { events, limit, offset })
}

pub(super) async fn subscription_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(b): Json<AddSubscription>,
) -> ApiResult {
    if !drydock_store::SUBSCRIPTION_KINDS.contains(&b.kind.as_str()) {
        return Err(ApiError::bad(format!(
            "unknown subscription kind {:?}; kinds: {}",
            b.kind,
            drydock_store::SUBSCRIPTION_KINDS.join(", ")
        )));
    }
    let tag = registry_tag(&b.tag)?;
    let full = ImageTarget::parse(&tag).full_tag();
    let store = s.store.clone();
    let sub = blocking(move || {
        store.ensure_account(&p.acting_account)?;
        Ok(store.add_subscription(&p.acting_account, &b.kind, &full)?)
    })
    .await?;
    reply(StatusCode::CREATED, subscription_body(sub))
}

pub(super) async fn subscription_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.subscriptions(Some(&p.acting_account), None)?)).await?;
    let (list, limit, offset, total) = paged(list, &q)?;
    ok(SubscriptionList {
        subscriptions: list.into_iter().map(subscription_body).collect(),
        limit,
        offset,
        total,
    })
}

pub(super) async fn subscription_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::Subscription, id, |store, account, id| {
        store.delete_subscription(account, id)
    })
    .await
}

pub(super) async fn webhook_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(b): Json<AddWebhook>,
) -> ApiResult {
    if b.url.len() > 2048 || b.url.contains(char::is_whitespace) {
        return Err(ApiError::bad("the webhook URL is too long or contains spaces"));
    }
    let (url, allow) = (b.url.clone(), s.allow_internal_webhooks);
    blocking(move || crate::notify::check_destination(&url, allow, false).map_err(ApiError::bad)).await?;
    let secret = auth::random_secret(32).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let store = s.store.clone();
    let (url, sec) = (b.url.clone(), secret.clone());
    let hook = blocking(move || {
        store.ensure_account(&p.acting_account)?;
        Ok(store.add_webhook(&p.acting_account, &url, &sec)?)
    })
    .await?;
    reply(
        StatusCode::CREATED,
        WebhookCreated {
            id: hook.id,
            url: hook.url,
            secret,
            note: format!(
                "deliveries carry {}: sha256=<hex HMAC-SHA256 of the body with this secret>; the secret is shown once",
                crate::notify::SIGNATURE_HEADER
            ),
        },
    )
}

pub(super) async fn webhook_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.webhooks(&p.acting_account)?)).await?;
    let (list, limit, offset, total) = paged(list, &q)?;
    let webhooks = list
        .into_iter()
        .map(|w| Webhook {
            id: w.id,
            account: w.account,
            url: w.url,
            created_at: w.created_at,
        })
        .collect();
    ok(WebhookList {
        webhooks,
        limit,
        offset,
        total,
    })
}

pub(super) async fn webhook_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::Webhook, id, |store, account, id| {
        store.delete_webhook(account, id)
    })
    .await
}

pub(super) async fn notification_log(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let store = s.store.clone();
    let list = blocking(move || Ok(store.deliveries(&p.acting_account, limit, offset)?)).await?;
    let deliveries = list
        .into_iter()
        .map(|d| Delivery {
            id: d.id,
            account: d.account,
            webhook_id: d.webhook_id,
            kind: d.kind,
            subject: d.subject,
            payload: d.payload,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        })
        .collect();
    ok(DeliveryList {
        deliveries,
        limit,
        offset,
    })
}

pub(super) async fn audit_log(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let store = s.store.clone();
    let scope = (p.role != Role::Admin).then(|| p.acting_account.clone());
    let list = blocking(move || Ok(store.audit_log(scope.as_deref(), limit, offset)?)).await?;
    let audit = list
        .into_iter()
        .map(serde_json::from_value::<AuditRecord>)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("an audit record is malformed: {e}"),
            )
        })?;
    ok(AuditList { audit, limit, offset })
}
