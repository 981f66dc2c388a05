//! Secrets in splunkd's credential store (`storage/passwords`).
//!
//! A token or password typed into the Data inputs form reaches the input
//! once, in clear, as its `secret` parameter. The input then stores it
//! encrypted in `storage/passwords` (realm `mattermost_metrics`, user name
//! = the input's name) and replaces the parameter with `********`; later
//! runs read it back through splunkd's REST API, authenticated with the
//! session key splunkd hands each run. The secret is never logged and
//! never part of an error message.
//!
//! The secrets are kept in one app's namespace, the same for every call
//! (the app given to [`Splunkd::new`]): run mode, which knows the stanza's
//! app, and validation, which does not, must read the same store. Only the
//! stanza's own parameter is written in the app that holds the stanza
//! ([`Splunkd::mask_secret_param`]).
//!
//! splunkd's management port (the `server_uri` splunkd passes) is local
//! and normally serves a self-signed certificate, so these calls do not
//! verify it; they go nowhere but where splunkd told us.

use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::scrape::Secret;

/// The realm under which the inputs' secrets are stored.
pub const REALM: &str = "mattermost_metrics";

/// A client for splunkd's REST API.
pub struct Splunkd {
    agent: ureq::Agent,
    server_uri: String,
    session_key: Secret,
    /// The namespace of the secrets.
    app: String,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The `storage/passwords` entity name of (realm, user): `realm:user:`,
/// with `:` in either escaped as `\:`.
fn entity(realm: &str, user: &str) -> String {
    format!(
        "{}:{}:",
        realm.replace(':', "\\:"),
        user.replace(':', "\\:")
    )
}

impl Splunkd {
    pub fn new(server_uri: &str, session_key: &str, app: &str) -> Splunkd {
        let agent = ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .disable_verification(true)
                    .build(),
            )
            .timeout_global(Some(Duration::from_secs(15)))
            .http_status_as_error(false)
            .build()
            .into();
        Splunkd {
            agent,
            server_uri: server_uri.trim_end_matches('/').to_string(),
            session_key: Secret::new(session_key.to_string()),
            app: app.to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        self.url_in(&self.app, path)
    }

    fn url_in(&self, app: &str, path: &str) -> String {
        format!(
            "{}/servicesNS/nobody/{}/{}",
            self.server_uri,
            enc(app),
            path
        )
    }

    fn auth(&self) -> String {
        format!("Splunk {}", self.session_key.expose())
    }

    /// The secret stored for the input `input_name`, if any.
    pub fn read_secret(&self, input_name: &str) -> Result<Option<Secret>> {
        self.read_password(
            REALM,
            input_name,
            &format!("the secret of input {input_name}"),
        )
    }

    /// The password stored under (`realm`, `user`) in the app's namespace,
    /// if any; `what` names it in errors ("the secret of input X").
    pub fn read_password(&self, realm: &str, user: &str, what: &str) -> Result<Option<Secret>> {
        let url = self.url(&format!(
            "storage/passwords/{}?output_mode=json",
            enc(&entity(realm, user))
        ));
        let mut resp = self
            .agent
            .get(&url)
            .header("Authorization", &self.auth())
            .call()
            .with_context(|| format!("reading {what} from splunkd at {}", self.server_uri))?;
        match resp.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            s @ (401 | 403) => bail!(
                "splunkd refused to give {what} (HTTP {s} from storage/passwords): the \
                 credential store of app {} is readable by admins only (metadata/default.meta, \
                 [passwords]), and this ran as a user who is not one",
                self.app
            ),
            s => bail!("splunkd answered HTTP {s} when asked for {what} (storage/passwords)"),
        }
        let body = resp
            .body_mut()
            .read_to_string()
            .context("reading splunkd's answer")?;
        let v: serde_json::Value = serde_json::from_str(&body)
            .context("splunkd's storage/passwords answer is not JSON")?;
        let pw = v["entry"][0]["content"]["clear_password"]
            .as_str()
            .context("splunkd's storage/passwords answer has no clear_password")?;
        Ok(Some(Secret::new(pw.to_string())))
    }

    /// Stores (or replaces) the secret of the input `input_name`.
    pub fn store_secret(&self, input_name: &str, secret: &Secret) -> Result<()> {
        let mut resp = self
            .agent
            .post(&self.url("storage/passwords?output_mode=json"))
            .header("Authorization", &self.auth())
            .send_form([
                ("name", input_name),
                ("realm", REALM),
                ("password", secret.expose()),
            ])
            .with_context(|| {
                format!(
                    "storing the secret of input {input_name} in splunkd at {}",
                    self.server_uri
                )
            })?;
        match resp.status().as_u16() {
            200 | 201 => return Ok(()),
            409 => {} // exists: update it below
            s => {
                let _ = resp.body_mut().read_to_string();
                bail!("splunkd answered HTTP {s} when storing the secret of input {input_name} (storage/passwords)")
            }
        }
        let url = self.url(&format!(
            "storage/passwords/{}?output_mode=json",
            enc(&entity(REALM, input_name))
        ));
        let resp = self
            .agent
            .post(&url)
            .header("Authorization", &self.auth())
            .send_form([("password", secret.expose())])
            .with_context(|| format!("updating the secret of input {input_name} in splunkd"))?;
        match resp.status().as_u16() {
            200 | 201 => Ok(()),
            s => bail!("splunkd answered HTTP {s} when updating the secret of input {input_name} (storage/passwords)"),
        }
    }

    /// Replaces the input's `secret` parameter in inputs.conf with the mask,
    /// in `stanza_app`, the app whose inputs.conf holds the stanza.
    pub fn mask_secret_param(
        &self,
        stanza_app: &str,
        scheme: &str,
        input_name: &str,
        mask: &str,
    ) -> Result<()> {
        let url = self.url_in(
            stanza_app,
            &format!(
                "data/inputs/{}/{}?output_mode=json",
                enc(scheme),
                enc(input_name)
            ),
        );
        let resp = self
            .agent
            .post(&url)
            .header("Authorization", &self.auth())
            .send_form([("secret", mask)])
            .with_context(|| {
                format!("masking the secret of input {input_name} in inputs.conf through splunkd")
            })?;
        match resp.status().as_u16() {
            200 | 201 => Ok(()),
            s => bail!("splunkd answered HTTP {s} when masking the secret of input {input_name} in inputs.conf"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_names_escape_colons() {
        assert_eq!(entity(REALM, "prod"), "mattermost_metrics:prod:");
        assert_eq!(entity(REALM, "a:b"), "mattermost_metrics:a\\:b:");
        assert_eq!(
            enc("mattermost_metrics:a b:"),
            "mattermost_metrics%3Aa%20b%3A"
        );
    }
}
