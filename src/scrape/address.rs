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
///
/// Only the plain form `scheme://host[:port][/path]` is taken. The URL
/// standard's parser forgives a great deal (`http:///host`, `http:/host`,
/// `http:\\host`, tabs and line breaks dropped anywhere), and what it
/// forgives, people and other parsers read differently: `http:///alice:pw@h/`
/// is a URL with a password to it, and a text scan that stops at the first
/// `/` sees none. So credentials are looked for as the parser finds them
/// *and* in the text as typed, and anything but the plain form is refused.
pub fn check_url(raw: &str) -> Result<String, UrlProblem> {
    // Userinfo first: a malformed URL with a password is still refused for
    // the password, and never quoted with it.
    if has_credentials(raw) {
        return Err(UrlProblem::Credentials);
    }
    if raw.chars().any(|c| c.is_control() || c == ' ' || c == '\\') {
        return Err(UrlProblem::Invalid(
            "it holds a space, a backslash or a control character".into(),
        ));
    }
    let Some(scheme_end) = raw.find("://").filter(|&i| is_scheme(&raw[..i])) else {
        if let Some(i) = raw.find(':').filter(|&i| is_scheme(&raw[..i])) {
            let s = raw[..i].to_ascii_lowercase();
            if s == "http" || s == "https" {
                return Err(UrlProblem::Invalid(format!(
                    "{s}: must be followed by exactly two slashes"
                )));
            }
        }
        // `mm1:8067/metrics` would parse as the scheme `mm1`.
        return Err(UrlProblem::NoScheme {
            suggestion: format!("http://{}", raw.trim_start_matches('/')),
        });
    };
    if raw[scheme_end + 3..].starts_with('/') {
        return Err(UrlProblem::Invalid(format!(
            "{}: must be followed by exactly two slashes",
            &raw[..scheme_end]
        )));
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

/// Whether `s` can be a URL scheme (`[A-Za-z][A-Za-z0-9+.-]*`).
fn is_scheme(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
}

/// The scheme of `url` (the text before `://`), if it has one.
pub(crate) fn scheme(url: &str) -> Option<&str> {
    url.find("://").map(|i| &url[..i])
}

/// Whether `raw` may hold a user name or password: the URL parser finds
/// userinfo in it, or it does not parse and has an `@` anywhere.
fn has_credentials(raw: &str) -> bool {
    match url::Url::parse(raw) {
        Ok(u) => {
            !u.username().is_empty()
                || u.password().is_some()
                || raw.contains('@') && {
                    // Parsed without userinfo: an `@` the parser read as part of the
                    // path or query is no credential; one before the path is.
                    let rest = after_scheme_and_slashes(raw);
                    rest[..rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len())].contains('@')
                }
        }
        Err(_) => raw.contains('@'),
    }
}

/// `raw` from where its authority would start: after a scheme (if it is
/// followed by a slash) and every `/` and `\` after it, as the URL
/// standard skips them for http(s).
fn after_scheme_and_slashes(raw: &str) -> &str {
    let after_scheme = match raw.find(':') {
        Some(i) if is_scheme(&raw[..i]) && raw[i + 1..].starts_with(['/', '\\']) => &raw[i + 1..],
        _ => raw,
    };
    after_scheme.trim_start_matches(['/', '\\'])
}

/// `url` without its userinfo (`http://user:pass@host/` -> `http://host/`,
/// also without a scheme: `user:pass@host/` -> `host/`), for logs, messages
/// and events. Works on any text the admin typed, before it is parsed:
/// a URL the parser reads userinfo in loses it (`http:///alice:pw@h/m` ->
/// `http://h/m`); text that does not parse and holds an `@` loses all from
/// where its authority would start to the last `@` (a password may hold a
/// `/`, `?` or `#`, and then no parser can say where it ends).
pub fn redact_url(url: &str) -> String {
    if !has_credentials(url) {
        return url.to_string();
    }
    if let Ok(mut u) = url::Url::parse(url) {
        if u.set_username("").is_ok() && u.set_password(None).is_ok() {
            let s = u.to_string();
            if !s.contains('@') || !has_credentials(&s) {
                return s;
            }
        }
    }
    let rest = after_scheme_and_slashes(url);
    let start = url.len() - rest.len();
    let at = url.rfind('@').expect("has_credentials without an @ parses");
    format!("{}{}", &url[..start], &url[at + 1..])
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
        assert_eq!(redact_url("http://h/users/@me"), "http://h/users/@me");
    }

    /// What the URL standard forgives, and a scan stopping at the first `/`
    /// missed: the password reached logs, events and HEC.
    #[test]
    fn redacts_userinfo_of_malformed_urls() {
        for (typed, shown) in [
            (
                "http:///alice:S3cr3tPW@127.0.0.1:18080/m",
                "http://127.0.0.1:18080/m",
            ),
            (
                "http:/alice:S3cr3tPW@127.0.0.1:18080/m",
                "http://127.0.0.1:18080/m",
            ),
            (
                "http:/\\alice:S3cr3tPW@127.0.0.1:18080/m",
                "http://127.0.0.1:18080/m",
            ),
            ("//alice:S3cr3tPW@127.0.0.1:18080/m", "//127.0.0.1:18080/m"),
            (
                "http://alice:S3cr3t/PW@127.0.0.1:18080/m",
                "http://127.0.0.1:18080/m",
            ),
            ("http://alice:S3cr3t#PW@h:99999999/m", "http://h:99999999/m"),
            ("http://ali\tce:S3cr3tPW@h/m", "http://h/m"),
            ("http:alice:S3cr3tPW@h/m", "http://h/m"),
        ] {
            assert_eq!(redact_url(typed), shown, "{typed}");
            assert_eq!(check_url(typed), Err(UrlProblem::Credentials), "{typed}");
        }
    }

    #[test]
    fn only_the_plain_form_is_taken() {
        for bad in [
            "http:///h/m",
            "http:/h/m",
            "http:h/m",
            "http:\\\\h/m",
            "http://h\\m",
            "http://h/m x",
            "http://h/\tm",
        ] {
            assert!(
                matches!(check_url(bad), Err(UrlProblem::Invalid(_))),
                "{bad}: {:?}",
                check_url(bad)
            );
        }
        assert!(matches!(
            check_url("//h/m"),
            Err(UrlProblem::NoScheme { .. })
        ));
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
