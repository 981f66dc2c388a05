//! The files of a TLS setup: a CA bundle and a client certificate with its
//! key, read and checked when the scraper is built, so that a wrong file is
//! an error that names it rather than a failure at the first scrape.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use ureq::tls::{Certificate, ClientCert, PrivateKey};

fn read_file(setting: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow!("{setting} {}: cannot read it: {e}", path.display()))
}

fn not_pem_hint(bytes: &[u8]) -> &'static str {
    if bytes.first() == Some(&0x30) {
        " (it looks like DER: convert it with `openssl x509 -inform der -in FILE -out FILE.pem`)"
    } else {
        ""
    }
}

/// The CA certificates of a PEM bundle, each checked as a trust anchor.
pub(crate) fn load_ca_bundle(path: &Path) -> anyhow::Result<Vec<Certificate<'static>>> {
    let bytes = read_file("ca_bundle", path)?;
    let mut certs = Vec::new();
    let mut store = rustls::RootCertStore::empty();
    for (i, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let der = item.map_err(|e| {
            anyhow!(
                "ca_bundle {}: certificate #{} is not valid PEM: {e}",
                path.display(),
                i + 1
            )
        })?;
        store.add(der.clone()).map_err(|e| {
            anyhow!(
                "ca_bundle {}: certificate #{} cannot be used as a CA: {e}",
                path.display(),
                i + 1
            )
        })?;
        certs.push(Certificate::from_der(der.as_ref()).to_owned());
    }
    if certs.is_empty() {
        bail!(
            "ca_bundle {}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block){}",
            path.display(),
            not_pem_hint(&bytes)
        );
    }
    Ok(certs)
}

/// The client certificate chain and key for mutual TLS, checked to match.
pub(super) fn load_client_cert(
    cert: Option<&Path>,
    key: Option<&Path>,
) -> anyhow::Result<Option<ClientCert>> {
    let cert_path = match (cert, key) {
        (None, None) => return Ok(None),
        (None, Some(key)) => bail!(
            "client_key {} is set without client_cert: set both for mutual TLS",
            key.display()
        ),
        (Some(cert), _) => cert,
    };
    let cert_bytes = read_file("client_cert", cert_path)?;
    let mut chain_der = Vec::new();
    for (i, item) in CertificateDer::pem_slice_iter(&cert_bytes).enumerate() {
        chain_der.push(item.map_err(|e| {
            anyhow!(
                "client_cert {}: certificate #{} is not valid PEM: {e}",
                cert_path.display(),
                i + 1
            )
        })?);
    }
    if chain_der.is_empty() {
        bail!(
            "client_cert {}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block){}",
            cert_path.display(),
            not_pem_hint(&cert_bytes)
        );
    }

    let (key_setting, key_path, key_bytes) = match key {
        Some(key) => ("client_key", key, read_file("client_key", key)?),
        None => ("client_cert", cert_path, cert_bytes.clone()),
    };
    let text = String::from_utf8_lossy(&key_bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        bail!(
            "{key_setting} {}: the private key is encrypted; give an unencrypted key \
             (`openssl pkey -in KEY -out KEY.plain.pem`) and protect the file instead",
            key_path.display()
        );
    }
    let key_der = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => match key {
            Some(_) => anyhow!(
                "client_key {}: no PEM private key in it (no -----BEGIN PRIVATE KEY-----, RSA \
                 PRIVATE KEY or EC PRIVATE KEY block){}",
                key_path.display(),
                not_pem_hint(&key_bytes)
            ),
            None => anyhow!(
                "client_cert {} is set without client_key, and holds no private key: set \
                 client_key to the certificate's key",
                cert_path.display()
            ),
        },
        other => anyhow!(
            "{key_setting} {}: the private key is not valid PEM: {other}",
            key_path.display()
        ),
    })?;

    // ureq panics on a key that rustls cannot use or that does not match the
    // certificate: check both here, with the provider ureq uses.
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    if let Err(e) =
        rustls::sign::CertifiedKey::from_der(chain_der.clone(), key_der.clone_key(), &provider)
    {
        match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => bail!(
                "{key_setting} {} does not match the certificate of client_cert {}: give the key \
                 the certificate was issued for",
                key_path.display(),
                cert_path.display()
            ),
            other => bail!(
                "{key_setting} {}: the private key cannot be used: {other} (RSA, ECDSA P-256/P-384 \
                 and Ed25519 are supported)",
                key_path.display()
            ),
        }
    }

    let chain: Vec<Certificate<'static>> = chain_der
        .iter()
        .map(|d| Certificate::from_der(d.as_ref()).to_owned())
        .collect();
    let key = PrivateKey::from_pem(&key_bytes).map_err(|e| {
        anyhow!(
            "{key_setting} {}: the private key cannot be read: {e}",
            key_path.display()
        )
    })?;
    Ok(Some(ClientCert::new_with_certs(&chain, key)))
}
