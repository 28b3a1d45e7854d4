//! `drydock user`, `drydock apikey` and `drydock account`.

use super::{done, printed_json};
use crate::cli::{AccountArgs, AccountCommand, ApikeyArgs, ApikeyCommand, UserArgs, UserCommand};
use crate::client::{dash, emit, finish, print_table, read_secret, time, typed, Body, Client, ClientError, Result};
use drydock_api::accounts::{Account, AccountList, AddUser, ApiKeyCreated, UserList};
use serde_json::json;
use std::process::ExitCode;

/// Runs `drydock user …`.
pub fn user(args: &UserArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        UserCommand::Add { name, role, account } => user_add(&c, name, role, account.as_deref()),
        UserCommand::List => {
            let v = c.get(&["users"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: UserList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .users
                .iter()
                .map(|u| vec![dash(&u.name), dash(&u.role), dash(&u.account), time(Some(u.created_at))])
                .collect();
            print_table(&["NAME", "ROLE", "ACCOUNT", "CREATED"], &rows, "No users.")?;
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Delete { name } => {
            c.delete(&["users", name])?;
            done(
                &c,
                &format!("deleted user {name:?}"),
                json!({"name": name, "deleted": true}),
            )
        }
    });
    Ok(finish(result))
}

fn user_add(c: &Client, name: &str, role: &str, account: Option<&str>) -> Result<ExitCode> {
    let password = match std::env::var("DRYDOCK_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let first = read_secret(&format!("Password for the new user {name}: "), "DRYDOCK_NEW_PASSWORD")?;
            let again = read_secret("Again: ", "DRYDOCK_NEW_PASSWORD")?;
            if first != again {
                return Err(ClientError::usage("the passwords differ"));
            }
            first
        }
    };
    let body = AddUser {
        name: name.to_string(),
        password,
        role: role.to_string(),
        account: account.map(str::to_string),
    };
    let v = c.post(&["users"], Some(Body::json(&body)))?;
    let place = account.map(|a| format!(" in account {a:?}")).unwrap_or_default();
    done(c, &format!("added user {name:?} with role {role}{place}"), v)
}

/// Runs `drydock apikey …`.
pub fn apikey(args: &ApikeyArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        ApikeyCommand::Create => {
            let v = c.post(&["apikeys"], None)?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let created: ApiKeyCreated = typed(&v)?;
            emit(&format!("{}\n", created.key))?;
            let id = dash(&created.id);
            eprintln!(
                "API key {id} created. It is shown once: store it now. Use it as DRYDOCK_API_KEY; revoke it with \
                 `drydock apikey revoke {id}`."
            );
            Ok(ExitCode::SUCCESS)
        }
        ApikeyCommand::Revoke { id } => {
            c.delete(&["apikeys", id])?;
            done(&c, &format!("revoked API key {id}"), json!({"id": id, "revoked": true}))
        }
    });
    Ok(finish(result))
}

/// Runs `drydock account …`.
pub fn account(args: &AccountArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        AccountCommand::Add { name } => {
            let v = c.post(&["accounts"], Some(Body::json(&Account { name: name.clone() })))?;
            done(&c, &format!("added account {name:?}"), v)
        }
        AccountCommand::List => {
            let v = c.get(&["accounts"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: AccountList = typed(&v)?;
            let rows: Vec<Vec<String>> = list.accounts.iter().map(|a| vec![dash(a)]).collect();
            print_table(&["ACCOUNT"], &rows, "No accounts.")?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}
