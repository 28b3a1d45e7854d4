//! TLS for PostgreSQL connections, with libpq's `sslmode` and `sslrootcert` URL parameters:
//! `disable` (clear text), `prefer` (the default: TLS when the server offers it), `require`
//! (TLS or fail; the certificate is not checked unless `sslrootcert` is given, as in libpq),
//! `verify-ca` (the chain must lead to `sslrootcert` or the system's roots) and `verify-full`
//! (also the host name).

use crate::{OpenError, StoreError};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use postgres::config::SslMode;
use postgres_openssl::MakeTlsConnector;

/// How a connection URL asks for TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// libpq's `sslmode`.
    pub mode: Mode,
    /// A PEM file of trusted roots (`sslrootcert`), instead of the system's.
    pub root_cert: Option<String>,
}

/// libpq's `sslmode` values drydock supports (`allow` is treated as `prefer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, unverified.
    Prefer,
    /// TLS or no connection; verified only against an explicit `sslrootcert`.
    Require,
    /// TLS with the certificate chain verified.
    VerifyCa,
    /// TLS with the chain and the host name verified.
    VerifyFull,
}

/// Splits the TLS parameters off a `postgres://` URL: the URL the driver understands (no
/// `sslmode` or `sslrootcert`) and the settings they asked for.
pub fn split_url(url: &str) -> Result<(String, TlsSettings), StoreError> {
    let mut settings = TlsSettings {
        mode: Mode::Prefer,
        root_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), settings));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                settings.mode = match value {
                    "disable" => Mode::Disable,
                    "allow" | "prefer" => Mode::Prefer,
                    "require" => Mode::Require,
                    "verify-ca" => Mode::VerifyCa,
                    "verify-full" => Mode::VerifyFull,
                    other => {
                        return Err(StoreError::Open {
                            url: crate::postgres::redact_url(url),
                            source: OpenError::Settings(format!(
                                "unknown sslmode '{other}': use disable, prefer, require, verify-ca or verify-full"
                            )),
                        })
                    }
                }
            }
            "sslrootcert" => settings.root_cert = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, settings))
}

impl TlsSettings {
    /// The driver's `sslmode` for these settings.
    pub fn driver_mode(&self) -> SslMode {
        match self.mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        }
    }

    /// The TLS connector these settings ask for.
    pub fn connector(&self, url: &str) -> Result<MakeTlsConnector, StoreError> {
        let fail = |reason: String| StoreError::Open {
            url: crate::postgres::redact_url(url),
            source: OpenError::Settings(reason),
        };
        let mut builder =
            SslConnector::builder(SslMethod::tls_client()).map_err(|e| fail(format!("cannot set up TLS: {e}")))?;
        if let Some(path) = &self.root_cert {
            builder
                .set_ca_file(path)
                .map_err(|e| fail(format!("cannot read sslrootcert {path}: {e}")))?;
        }
        let verify = match self.mode {
            Mode::Disable | Mode::Prefer => false,
            Mode::Require => self.root_cert.is_some(),
            Mode::VerifyCa | Mode::VerifyFull => true,
        };
        builder.set_verify(if verify {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        let mut connector = MakeTlsConnector::new(builder.build());
        let check_host = self.mode == Mode::VerifyFull;
        connector.set_callback(move |config, _domain| {
            config.set_verify_hostname(check_host);
            Ok(())
        });
        Ok(connector)
    }
}

/// `%XX` escapes decoded (a file path in a URL query); anything malformed is kept as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_parameters_are_taken_off_the_url() {
        let (url, s) =
            split_url("postgres://u@db:5432/x?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5")
                .unwrap();
        assert_eq!(url, "postgres://u@db:5432/x?connect_timeout=5");
        assert_eq!(s.mode, Mode::VerifyFull);
        assert_eq!(s.root_cert.as_deref(), Some("/etc/ca.pem"));
        let (url, s) = split_url("postgres://u@db/x").unwrap();
        assert_eq!((url.as_str(), s.mode), ("postgres://u@db/x", Mode::Prefer));
        let (url, s) = split_url("postgres://u@db/x?sslmode=disable").unwrap();
        assert_eq!((url.as_str(), s.mode), ("postgres://u@db/x", Mode::Disable));
        let e = split_url("postgres://u:secret@db/x?sslmode=verify")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown sslmode 'verify'") && !e.contains("secret"), "{e}");
    }
}
