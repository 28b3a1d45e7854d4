//! `drydock event`, `drydock subscription`, `drydock webhook` and `drydock notification`.

use super::{clip, done, printed_json};
use crate::cli::{
    EventArgs, EventCommand, NotificationArgs, NotificationCommand, SubscriptionArgs, SubscriptionCommand, WebhookArgs,
    WebhookCommand,
};
use crate::client::{dash, emit, fields_text, finish, opt, print_table, show, time, typed, Body, Client};
use drydock_api::notify::{
    AddSubscription, AddWebhook, DeliveryList, EventList, Subscription, SubscriptionList, WebhookCreated, WebhookList,
};
use serde_json::json;
use std::process::ExitCode;

/// Runs `drydock event …`.
pub fn event(args: &EventArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        EventCommand::List { page } => {
            let v = c.get(&["events"], &page.query())?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: EventList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .events
                .iter()
                .map(|e| {
                    vec![
                        time(Some(e.created_at)),
                        dash(&e.kind),
                        dash(&e.subject),
                        clip(&show(&e.detail), 100),
                    ]
                })
                .collect();
            print_table(&["TIME", "KIND", "SUBJECT", "DETAIL"], &rows, "No events.")?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// Runs `drydock subscription …`.
pub fn subscription(args: &SubscriptionArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        SubscriptionCommand::Add { kind, tag } => {
            // The service checks the kind, so its message lists the kinds it knows.
            let body = AddSubscription {
                kind: kind.clone(),
                tag: tag.clone(),
            };
            let v = c.post(&["subscriptions"], Some(Body::json(&body)))?;
            let sub: Subscription = typed(&v)?;
            done(
                &c,
                &format!(
                    "subscribed to {} of {} (subscription {})",
                    dash(&sub.kind),
                    dash(&sub.tag),
                    dash(&sub.id)
                ),
                v,
            )
        }
        SubscriptionCommand::List => {
            let v = c.get(&["subscriptions"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: SubscriptionList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .subscriptions
                .iter()
                .map(|s| vec![dash(&s.id), dash(&s.kind), dash(&s.tag), time(Some(s.created_at))])
                .collect();
            print_table(&["ID", "KIND", "TAG", "CREATED"], &rows, "No subscriptions.")?;
            Ok(ExitCode::SUCCESS)
        }
        SubscriptionCommand::Delete { id } => {
            c.delete(&["subscriptions", id])?;
            done(
                &c,
                &format!("deleted subscription {id}"),
                json!({"id": id, "deleted": true}),
            )
        }
    });
    Ok(finish(result))
}

/// Runs `drydock webhook …`. `add` prints the signing secret, which the service shows once.
pub fn webhook(args: &WebhookArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        WebhookCommand::Add { url } => {
            let v = c.post(&["webhooks"], Some(Body::json(&AddWebhook { url: url.clone() })))?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let hook: WebhookCreated = typed(&v)?;
            let id = dash(&hook.id);
            emit(&fields_text(&[
                ("ID", id.clone()),
                ("URL", dash(&hook.url)),
                ("Secret", hook.secret.clone()),
            ]))?;
            eprintln!(
                "The secret is shown once: store it now. Deliveries carry X-Drydock-Signature: sha256=<hex \
                 HMAC-SHA256 of the body, keyed with the secret>; check it before trusting a delivery. Remove the \
                 endpoint with `drydock webhook delete {id}`."
            );
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::List => {
            let v = c.get(&["webhooks"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: WebhookList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .webhooks
                .iter()
                .map(|w| vec![dash(&w.id), time(Some(w.created_at)), dash(&w.url)])
                .collect();
            print_table(&["ID", "CREATED", "URL"], &rows, "No webhooks.")?;
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Delete { id } => {
            c.delete(&["webhooks", id])?;
            done(&c, &format!("deleted webhook {id}"), json!({"id": id, "deleted": true}))
        }
    });
    Ok(finish(result))
}

/// Runs `drydock notification …`.
pub fn notification(args: &NotificationArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        NotificationCommand::List { page } => {
            let v = c.get(&["notifications"], &page.query())?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: DeliveryList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .deliveries
                .iter()
                .map(|d| {
                    vec![
                        time(Some(d.created_at)),
                        dash(&d.state),
                        dash(&d.kind),
                        dash(&d.subject),
                        d.attempts.to_string(),
                        d.last_status.map_or_else(|| "-".into(), |s| s.to_string()),
                        clip(&opt(d.last_error.as_deref()), 80),
                    ]
                })
                .collect();
            print_table(
                &["TIME", "STATE", "KIND", "TAG", "ATTEMPTS", "LAST STATUS", "LAST ERROR"],
                &rows,
                "No notifications.",
            )?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}
