//! E-mail, sent only when an SMTP server is configured (`smtp_url`, `mail_from`): today the
//! invitation to the web app. Without one, the invitation link is shown to the admin to pass on.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Where mail goes out.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:25` (no TLS), `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465` (TLS from the start).
    pub smtp_url: SecretString,
    /// The sender, e.g. `clockface <clock@acme.example>`.
    pub from: String,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings").field("smtp_url", &"***").field("from", &self.from).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are wrong: {0}")]
    Settings(String),
    #[error("the address {0:?} cannot be mailed")]
    Address(String),
    #[error("the SMTP server did not take the message: {0}")]
    Send(String),
}

/// Sends one plain-text message.
pub async fn send(settings: &MailSettings, to: &str, subject: &str, body: String) -> Result<(), MailError> {
    let from = settings.from.parse().map_err(|e| MailError::Settings(format!("mail_from: {e}")))?;
    let to = to.parse().map_err(|_| MailError::Address(to.to_owned()))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| MailError::Settings(e.to_string()))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose_secret())
        .map_err(|e| MailError::Settings(format!("smtp_url: {e}")))?
        .timeout(Some(Duration::from_secs(15)))
        .build();
    transport.send(message).await.map_err(|e| MailError::Send(e.to_string()))?;
    Ok(())
}
