//! Settings of the services that the command line sets: uploads and storage, feeds, and the
//! newsletter's mail. Each has a `QUIRE_*` environment twin; the defaults need no setting.

use clap::Args;

/// Uploads, downloads and links.
#[derive(Debug, Clone, Args)]
pub struct MediaConfig {
    /// Largest file accepted by `uploadAsset`, in bytes.
    #[arg(long, env = "QUIRE_MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// The public base URL of this server (`https://cms.example.org`), for absolute links to
    /// files; relative links when left out.
    #[arg(long, env = "QUIRE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How often booklet download counts are saved, in milliseconds (and at shutdown).
    #[arg(long, env = "QUIRE_DOWNLOAD_FLUSH_INTERVAL_MS", default_value_t = 5000)]
    pub download_flush_interval_ms: u64,

    /// Where uploaded files are kept: `local` (a folder in the data dir) or
    /// `s3://BUCKET[/PREFIX]` on S3-compatible object storage.
    #[arg(long, env = "QUIRE_STORAGE", default_value = "local")]
    pub storage: String,

    /// S3: the service's endpoint, such as `https://s3.eu-west-2.amazonaws.com` or
    /// `http://127.0.0.1:9000`.
    #[arg(long, env = "QUIRE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3: the bucket's region.
    #[arg(long, env = "QUIRE_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// S3: the access key id.
    #[arg(long, env = "QUIRE_S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<String>,

    /// S3: the secret access key.
    #[arg(long, env = "QUIRE_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// How long the public may see an old booklet download count, in seconds: saved counts
    /// reach cached public answers at most this often, so that downloads do not keep
    /// emptying the response cache. 0 shows them at every save.
    #[arg(long, env = "QUIRE_DOWNLOAD_COUNT_STALENESS_SECS", default_value_t = 300)]
    pub download_count_staleness_secs: u64,

    /// The widths image variants are made in (comma-separated pixels). `?w=` is served at
    /// the nearest of these at or above it (the widest for a larger one), and never wider
    /// than the original.
    #[arg(
        long,
        env = "QUIRE_IMAGE_WIDTHS",
        value_delimiter = ',',
        default_value = DEFAULT_IMAGE_WIDTHS
    )]
    pub image_widths: Vec<u32>,

    /// Disk for image variants (and, with S3, the originals fetched to make them), in MiB;
    /// past it the least recently used are removed.
    #[arg(long, env = "QUIRE_IMAGE_VARIANTS_MAX_MB", default_value_t = 1024)]
    pub image_variants_max_mb: u64,

    /// Most image variant files kept on disk; past it the least recently used are removed.
    #[arg(long, env = "QUIRE_IMAGE_VARIANTS_MAX_FILES", default_value_t = 50_000)]
    pub image_variants_max_files: u64,

    /// Image variants made at the same time; one client address makes one at a time.
    #[arg(long, env = "QUIRE_IMAGE_VARIANT_BUILDERS", default_value_t = 2)]
    pub image_variant_builders: usize,

    /// Quality of JPEG and WebP image variants, 1 (smallest) to 100 (best). Both are lossy;
    /// PNG variants are lossless.
    #[arg(
        long,
        env = "QUIRE_IMAGE_QUALITY",
        default_value_t = DEFAULT_IMAGE_QUALITY,
        value_parser = clap::value_parser!(u8).range(1..=100)
    )]
    pub image_quality: u8,
}

/// The default of `--image-quality`.
pub const DEFAULT_IMAGE_QUALITY: u8 = 80;

/// The default of `--image-widths`.
pub const DEFAULT_IMAGE_WIDTHS: &str = "160,320,480,640,800,1024,1280,1600,2048";

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            max_upload_bytes: 50 * 1024 * 1024,
            public_url: None,
            download_flush_interval_ms: 5000,
            storage: "local".to_string(),
            s3_endpoint: None,
            s3_region: "us-east-1".to_string(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            download_count_staleness_secs: 300,
            image_widths: DEFAULT_IMAGE_WIDTHS.split(',').filter_map(|w| w.parse().ok()).collect(),
            image_variants_max_mb: 1024,
            image_variants_max_files: 50_000,
            image_variant_builders: 2,
            image_quality: DEFAULT_IMAGE_QUALITY,
        }
    }
}

/// The RSS, Atom and JSON feeds of news and press releases.
#[derive(Debug, Clone, Args)]
pub struct FeedConfig {
    /// The website that shows the content (`https://www.example.org`): the feeds' home link
    /// and the base of item links that start with `/`. Default: the public URL.
    #[arg(long, env = "QUIRE_FEED_SITE_URL")]
    pub feed_site_url: Option<String>,

    /// The name of the site, in the feeds' titles.
    #[arg(long, env = "QUIRE_FEED_SITE_NAME", default_value = "Quire")]
    pub feed_site_name: String,

    /// Where a news article is read: a URL, or a path on the site URL, with `{slug}` and
    /// `{id}` filled in.
    #[arg(long, env = "QUIRE_FEED_NEWS_LINK", default_value = "/news/{slug}")]
    pub feed_news_link: String,

    /// Where a press release is read, as for `--feed-news-link`.
    #[arg(long, env = "QUIRE_FEED_PRESS_RELEASE_LINK", default_value = "/press/{slug}")]
    pub feed_press_release_link: String,

    /// How many of the newest items a feed holds (at most 500).
    #[arg(long, env = "QUIRE_FEED_LIMIT", default_value_t = 50)]
    pub feed_limit: u64,

    /// How long caches may keep a feed, in seconds.
    #[arg(long, env = "QUIRE_FEED_MAX_AGE", default_value_t = 60)]
    pub feed_max_age: u64,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            feed_site_url: None,
            feed_site_name: "Quire".to_string(),
            feed_news_link: "/news/{slug}".to_string(),
            feed_press_release_link: "/press/{slug}".to_string(),
            feed_limit: 50,
            feed_max_age: 60,
        }
    }
}

/// Newsletter sign-up: mail and limits.
#[derive(Debug, Clone, Args)]
pub struct NewsletterConfig {
    /// SMTP server for outgoing mail: `smtp://HOST:PORT` (plain), `smtp://…?tls=required`
    /// (STARTTLS) or `smtps://USER:PASS@HOST` (TLS). Left out, mail is written as `.eml`
    /// files to `outbox/` in the data dir.
    #[arg(long, env = "QUIRE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of Quire's mail.
    #[arg(long, env = "QUIRE_MAIL_FROM", default_value = "Quire <no-reply@localhost>")]
    pub mail_from: String,

    /// Newsletter sign-ups allowed per hour for one email address.
    #[arg(long, env = "QUIRE_NEWSLETTER_SIGNUPS_PER_EMAIL_PER_HOUR", default_value_t = 3)]
    pub newsletter_signups_per_email_per_hour: u32,

    /// Newsletter sign-ups allowed per hour from one client address.
    #[arg(long, env = "QUIRE_NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR", default_value_t = 20)]
    pub newsletter_signups_per_address_per_hour: u32,

    /// How long a newsletter confirmation link stays valid, in hours.
    #[arg(long, env = "QUIRE_NEWSLETTER_CONFIRM_TTL_HOURS", default_value_t = 72)]
    pub newsletter_confirm_ttl_hours: i64,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        NewsletterConfig {
            smtp_url: None,
            mail_from: "Quire <no-reply@localhost>".to_string(),
            newsletter_signups_per_email_per_hour: 3,
            newsletter_signups_per_address_per_hour: 20,
            newsletter_confirm_ttl_hours: 72,
        }
    }
}
