//! One crypto provider, ring, for every TLS user: PostgreSQL, S3, webhooks and mail.
//! sqlx and lettre name it; reqwest (webhooks, and S3 through object_store) takes the
//! process's default, which must be installed before the first client is built.

/// Installs ring as the process's crypto provider. Safe to call more than once.
pub fn install_crypto_provider() {
    // A second call finds the provider in place and changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
