//! The metrics URL as an admin types it: checked once for every front end
//! (the input's settings, the HEC sender's flags, the scraper), and shown
//! without its userinfo wherever it is written (events, logs, errors), so
//! that a password typed into the URL never reaches splunkd.log or an index.

use std::fmt;

/// Why a URL cannot be scraped. `Display` is a sentence fragment that
/// follows the URL (`"mm1:8067" has no scheme: ...`); the front end adds
/// where the credentials go for [`UrlProblem::Credentials`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// No `scheme://` at all (`mm1.example.com:8067/metrics`).
    NoScheme {
        suggestion: String,
    },
    /// A scheme other than http and https.
    Scheme(String),
    /// A user name or password before the host.
    Credentials,
    NoHost,
    /// Anything else the URL parser refuses.
    Invalid(String),
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::NoScheme { suggestion } => write!(
                f,
                "has no scheme: add http:// or https:// in front (for example {suggestion})"
            ),
            UrlProblem::Scheme(s) => {
                write!(f, "must start with http:// or https://, not {s}://")
            }
            UrlProblem::Credentials => f.write_str(
                "must not contain a user name or password (the URL is logged and indexed as the \
                 source of every data point)",
            ),
            UrlProblem::NoHost => f.write_str("has no host"),
            UrlProblem::Invalid(e) => write!(f, "is not a valid URL ({e})"),
        }
    }
}

/// The host of an http(s) URL (without IPv6 brackets), or why it cannot be
/// scraped.
pub fn check_url(raw: &str) -> Result<String, UrlProblem> {
    if !raw.contains("://") {
        // `mm1:8067/metrics` would parse as the scheme `mm1`.
        return Err(UrlProblem::NoScheme {
            suggestion: format!("http://{}", redact_url(raw)),
        });
    }
    // Userinfo first: a malformed URL with a password is still refused for
    // the password, and never quoted with it.
    if authority(raw).contains('@') {
        return Err(UrlProblem::Credentials);
    }
    let u = url::Url::parse(raw).map_err(|e| UrlProblem::Invalid(e.to_string()))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(UrlProblem::Scheme(u.scheme().to_string()));
    }
    match u.host_str() {
        Some(h) if !h.is_empty() => Ok(h.trim_start_matches('[').trim_end_matches(']').to_string()),
        _ => Err(UrlProblem::NoHost),
    }
}

/// The scheme of `url` (the text before `://`), if it has one.
pub(crate) fn scheme(url: &str) -> Option<&str> {
    url.find("://").map(|i| &url[..i])
}

/// The authority of `url` (`user:pass@host:port`): after `scheme://` (or
/// from the start when there is no scheme), up to the path, query or
/// fragment.
fn authority(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())]
}

/// `url` without its userinfo (`http://user:pass@host/` -> `http://host/`,
/// also without a scheme: `user:pass@host/` -> `host/`), for logs, messages
/// and events. Works on text that is not a valid URL.
pub fn redact_url(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match authority(url).rfind('@') {
        Some(at) => format!("{}{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo() {
        assert_eq!(redact_url("http://u:p@h:1/metrics"), "http://h:1/metrics");
        assert_eq!(redact_url("http://a@b:p@h/x"), "http://h/x");
        assert_eq!(
            redact_url("https://h/metrics?a=b@c"),
            "https://h/metrics?a=b@c"
        );
        assert_eq!(redact_url("http://h:8067/metrics"), "http://h:8067/metrics");
        assert_eq!(redact_url("u:pw@h:8067/metrics"), "h:8067/metrics");
        assert_eq!(
            redact_url("http://u:pw@h:99999999/x"),
            "http://h:99999999/x"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn checks_urls() {
        assert_eq!(check_url("http://mm1:8067/metrics").unwrap(), "mm1");
        assert_eq!(check_url("https://[::1]:8067/metrics").unwrap(), "::1");
        let e = check_url("mm1.example.com:8067/metrics").unwrap_err();
        assert_eq!(
            e.to_string(),
            "has no scheme: add http:// or https:// in front (for example \
             http://mm1.example.com:8067/metrics)"
        );
        let e = check_url("alice:pw@mm1:8067/metrics").unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
        assert_eq!(
            check_url("http://alice:pw@mm1:99999999/metrics"),
            Err(UrlProblem::Credentials)
        );
        assert_eq!(
            check_url("ftp://mm1/metrics"),
            Err(UrlProblem::Scheme("ftp".into()))
        );
        assert!(matches!(
            check_url("http://mm1:99999999/"),
            Err(UrlProblem::Invalid(_))
        ));
    }
}
