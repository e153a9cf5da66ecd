//! Sending the newsletter's mail: over SMTP when `--smtp-url` is set, otherwise as RFC 5322
//! `.eml` files in `<data-dir>/outbox/` (for development, or for another program to pick
//! up). Mail is queued and sent by one background worker, so a slow mail server never
//! slows an answer, and mail queued before a shutdown is still sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::config::NewsletterConfig;

/// How long one SMTP delivery may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long queued mail may take to go out once the server stops.
/// Mail waiting to be sent; past this, new mail is dropped (and logged).
const QUEUE_SIZE: usize = 1024;

/// A confirmation mail to send: the address and both tokens, in the clear.
pub struct Confirmation {
    pub to: String,
    pub confirm: String,
    pub unsubscribe: String,
}

/// Composes mail and queues it for the worker.
pub struct Mailer {
    queue: mpsc::Sender<Message>,
    from: Mailbox,
    /// The base of links in mail: `--public-url`, or empty for links relative to it.
    base_url: String,
    confirm_hours: i64,
}

/// Sends what the [`Mailer`] queues.
pub struct MailWorker {
    queue: mpsc::Receiver<Message>,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

pub fn setup(
    config: &NewsletterConfig,
    public_url: Option<&str>,
    data_dir: &Path,
    confirm_ttl: chrono::Duration,
) -> anyhow::Result<(Mailer, MailWorker)> {
    let from: Mailbox = config
        .mail_from
        .parse()
        .with_context(|| format!("--mail-from {:?} is not a mailbox", config.mail_from))?;
    let transport = match &config.smtp_url {
        // The URL may hold a password: it is never repeated in an error.
        Some(url) => Transport::Smtp(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|_| anyhow::anyhow!("--smtp-url is not a valid SMTP URL"))?
                .timeout(Some(SMTP_TIMEOUT))
                .build(),
        ),
        None => Transport::Outbox(data_dir.join("outbox")),
    };
    let (sender, receiver) = mpsc::channel(QUEUE_SIZE);
    let mailer = Mailer {
        queue: sender,
        from,
        base_url: public_url.unwrap_or_default().trim_end_matches('/').to_string(),
        confirm_hours: confirm_ttl.num_hours(),
    };
    Ok((mailer, MailWorker { queue: receiver, transport }))
}

impl Mailer {
    /// Queues the mail that asks `to` to confirm their sign-up. Never waits: a full queue
    /// drops the mail (the person can sign up again).
    pub fn send(&self, mail: Confirmation) {
        let message = match self.confirmation(&mail) {
            Ok(message) => message,
            Err(err) => {
                tracing::error!(error = ?err, "composing a newsletter confirmation");
                return;
            }
        };
        if let Err(err) = self.queue.try_send(message) {
            tracing::error!(error = %err, "the mail queue is full or closed: a mail was dropped");
        }
    }

    fn link(&self, action: &str, token: &str) -> String {
        format!("{}/newsletter/{action}?token={token}", self.base_url)
    }

    fn confirmation(&self, mail: &Confirmation) -> anyhow::Result<Message> {
        let confirm_link = self.link("confirm", &mail.confirm);
        let unsubscribe_link = self.link("unsubscribe", &mail.unsubscribe);
        // Links longer than a mail line make the body quoted-printable; the tokens stand on
        // lines of their own, short enough to stay as they are.
        let body = format!(
            "Hello,\r\n\
             \r\n\
             Someone, probably you, asked for our newsletter at this address.\r\n\
             To confirm, open this link within {hours} hours:\r\n\
             \r\n\
             {confirm_link}\r\n\
             \r\n\
             or give this confirmation token:\r\n\
             {confirm}\r\n\
             \r\n\
             If you did not ask, ignore this mail: you will not be subscribed.\r\n\
             \r\n\
             To unsubscribe at any time, open this link:\r\n\
             {unsubscribe_link}\r\n\
             \r\n\
             or give this unsubscribe token:\r\n\
             {unsubscribe}\r\n",
            hours = self.confirm_hours,
            confirm = mail.confirm,
            unsubscribe = mail.unsubscribe,
        );
        let domain = self.from.email.domain().to_string();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, mail.to.parse()?))
            .subject("Please confirm your newsletter subscription")
            .message_id(Some(format!("<{}@{domain}>", Uuid::now_v7().simple())))
            .header(ContentType::TEXT_PLAIN)
            // RFC 2369 and RFC 8058: mail clients offer an "unsubscribe" button that POSTs here.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe_link}>"),
            ));
        if unsubscribe_link.starts_with("https://") {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
        }
        Ok(builder.body(body)?)
    }
}

impl MailWorker {
    /// The next queued message; `None` once the queue is closed and empty.
    pub async fn next(&mut self) -> Option<Message> {
        self.queue.recv().await
    }

    /// Takes no more messages; those queued can still be taken.
    pub fn close(&mut self) {
        self.queue.close();
    }

    /// Sends one message; a failure is logged, never returned: mail is not retried.
    pub async fn deliver(&self, message: Message) {
        let result = match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map(|_| ()).map_err(anyhow::Error::from)
            }
            Transport::Outbox(dir) => write_eml(dir, &message).await,
        };
        // Addresses stay out of the log.
        match result {
            Ok(()) => tracing::info!("newsletter mail sent"),
            Err(err) => tracing::error!(error = ?err, "sending newsletter mail"),
        }
    }
}

/// Writes the mail under a temporary name first, so a reader of the outbox never sees
/// half a file.
async fn write_eml(dir: &Path, message: &Message) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir).await.context("creating the mail outbox")?;
    let name =
        format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"), Uuid::now_v7().simple());
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, message.formatted()).await.context("writing to the mail outbox")?;
    tokio::fs::rename(&partial, dir.join(format!("{name}.eml")))
        .await
        .context("writing to the mail outbox")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer(public_url: Option<&str>) -> Mailer {
        let config = NewsletterConfig::default();
        let (mailer, _) =
            setup(&config, public_url, Path::new("/nonexistent"), chrono::Duration::hours(72))
                .unwrap();
        mailer
    }

    fn mail() -> Confirmation {
        Confirmation {
            to: "ann@example.org".into(),
            confirm: "C".repeat(43),
            unsubscribe: "U".repeat(43),
        }
    }

    #[test]
    fn a_confirmation_carries_both_tokens_and_list_unsubscribe() {
        let message = mailer(Some("https://cms.example.org/")).confirmation(&mail()).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        let unsubscribe =
            format!("https://cms.example.org/newsletter/unsubscribe?token={}", "U".repeat(43));
        assert!(text.contains(&format!("\r\n{}\r\n", "C".repeat(43))), "{text}");
        assert!(text.contains(&format!("\r\n{}\r\n", "U".repeat(43))), "{text}");
        assert!(text.contains(&format!("List-Unsubscribe: <{unsubscribe}>")), "{text}");
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{text}");
        assert!(text.contains("To: ann@example.org"), "{text}");
        assert!(text.contains("From: Quire <no-reply@localhost>"), "{text}");
    }

    #[test]
    fn without_a_public_url_links_are_relative() {
        let message = mailer(None).confirmation(&mail()).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("\r\n/newsletter/confirm?token=CCC"), "{text}");
        assert!(!text.contains("List-Unsubscribe-Post"), "{text}");
    }

    #[test]
    fn a_bad_smtp_url_is_refused_without_repeating_it() {
        let config = NewsletterConfig {
            smtp_url: Some("ftp://user:secret@host".into()),
            ..NewsletterConfig::default()
        };
        let err = setup(&config, None, Path::new("."), chrono::Duration::hours(1)).err().unwrap();
        assert!(!format!("{err:#}").contains("secret"));
    }
}
