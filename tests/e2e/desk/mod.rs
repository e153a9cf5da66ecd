//! The editors' desk driven in headless Chromium over WebDriver (fantoccini), the way an
//! editor uses it: controls are found by their labels and names. The browser tests need
//! Chromium and chromedriver (`QUIRE_TEST_CHROMEDRIVER`; `.ci/run` installs them) and run on
//! SQLite only: they prove the desk, and the API under it is proven on both databases by
//! the other tests. One chromedriver serves every test of the run.

mod flows;
mod served;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use quire_api::auth::Role;
use serde_json::{Value, json};

use crate::fixtures::{PASSWORD, SignedIn, user};
use crate::support::{Backend, TestApp};

/// How long a control may take to appear.
const PATIENCE: Duration = Duration::from_secs(15);

/// The width the screenshots and most tests use, and the narrow one.
pub const WIDE: u32 = 1280;
pub const NARROW: u32 = 375;

/// The chromedriver of this run: its port, and the process that stops it when the test
/// binary exits (it waits on a pipe that closes then, even after a panic).
static DRIVER: OnceLock<u16> = OnceLock::new();
static DRIVER_PROCESS: Mutex<Option<Child>> = Mutex::new(None);

fn driver_port() -> u16 {
    *DRIVER.get_or_init(|| {
        let chromedriver = std::env::var("QUIRE_TEST_CHROMEDRIVER")
            .expect("QUIRE_TEST_CHROMEDRIVER names chromedriver");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Europe/London: the scheduling test checks that a local time is stored in UTC.
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#"TZ=Europe/London "$0" --port="$1" >/dev/null 2>&1 & pid=$!; read -r _; kill "$pid""#)
            .arg(&chromedriver)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        *DRIVER_PROCESS.lock().unwrap() = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        port
    })
}

/// A fresh headless Chromium session with its profile in `profile`, `width` pixels wide,
/// from this run's chromedriver.
pub async fn open_browser(profile: &std::path::Path, width: u32) -> Client {
    let port = driver_port();
    let args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        format!("--window-size={width},900"),
        format!("--user-data-dir={}", profile.display()),
        "--lang=en-GB".into(),
    ];
    let mut options = json!({ "args": args });
    if let Ok(binary) = std::env::var("QUIRE_TEST_CHROMIUM") {
        options["binary"] = json!(binary);
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session")
}

/// A Quire server, a browser on its desk, and the people who use it.
pub struct Desk {
    pub app: TestApp,
    pub browser: Client,
    /// An editor's API session, for checking what the desk did.
    pub editor: SignedIn,
    _profile: tempfile::TempDir,
}

pub const EDITOR: &str = "editor@desk.test";

impl Desk {
    /// A fresh server with an editor, and a fresh browser profile.
    pub async fn start() -> Desk {
        let app = TestApp::spawn(Backend::Sqlite).await.expect("app");
        let editor = user(&app, EDITOR, Role::Editor).await;
        let profile = tempfile::tempdir().unwrap();
        let browser = open_browser(profile.path(), WIDE).await;
        Desk { app, browser, editor, _profile: profile }
    }

    /// Ends the browser session whatever the test's outcome, after checking (when it
    /// passed) that nothing was loaded from another origin.
    pub async fn finish(self, name: &str, outcome: std::thread::Result<()>) {
        let origins = if outcome.is_ok() { Some(self.foreign_requests().await) } else { None };
        if outcome.is_err() {
            // What the screen showed when the test failed, to see why.
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/desk-screenshots");
            if let (Ok(()), Ok(png)) =
                (std::fs::create_dir_all(&dir), self.browser.screenshot().await)
            {
                let _ = std::fs::write(dir.join(format!("failed-{name}.png")), png);
            }
        }
        let _ = self.browser.close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        let foreign = origins.unwrap_or_default();
        assert!(foreign.is_empty(), "the desk asked another origin for {foreign:?}");
    }

    /// Every resource the page loaded that is not from Quire's own origin.
    async fn foreign_requests(&self) -> Vec<String> {
        let origin = format!("http://{}", self.app.addr);
        let names = self
            .browser
            .execute(
                "return performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).map(e => e.name)",
                vec![],
            )
            .await
            .unwrap();
        names
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|name| !name.starts_with(&origin) && !name.starts_with("blob:"))
            .map(str::to_string)
            .collect()
    }

    pub async fn open(&self, path: &str) {
        self.browser.goto(&self.app.url(path)).await.unwrap();
    }

    /// Opens the desk and signs in.
    pub async fn sign_in(&self, email: &str) {
        self.open("/admin/").await;
        self.fill("Email", email).await;
        self.fill("Password", PASSWORD).await;
        self.click("Sign in").await;
        self.wait_for_link("Dashboard").await;
    }

    /// A control found by the text of its label.
    pub async fn field(&self, label: &str) -> Element {
        let xpath = format!("//label[normalize-space()={}]", literal(label));
        let label_el = self.wait_for(Locator::XPath(&xpath)).await;
        let id = label_el.attr("for").await.unwrap().expect("a label names its control");
        self.browser.find(Locator::Id(&id)).await.unwrap()
    }

    /// Types into a labelled field, replacing what it held.
    pub async fn fill(&self, label: &str, text: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Sets a labelled field's value as a script would (for date pickers, whose typing
    /// depends on the locale), then tells the page it changed.
    pub async fn set_value(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        self.browser
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true })); arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![serde_json::to_value(&field).unwrap(), json!(value)],
            )
            .await
            .unwrap();
    }

    /// A button (or a link that looks like one) by its name: its text or its `aria-label`.
    pub async fn button(&self, name: &str) -> Element {
        self.wait_for(Locator::XPath(&button_xpath(name))).await
    }

    pub async fn click(&self, name: &str) {
        self.click_fresh(Locator::XPath(&button_xpath(name))).await;
    }

    /// Finds the element and clicks it. The desk may render the element again between
    /// finding and clicking; a stale element is then found again.
    async fn click_fresh(&self, locator: Locator<'_>) {
        let mut tries = 0;
        loop {
            match self.wait_for(locator).await.click().await {
                Ok(_) => return,
                Err(error) if error.is_stale_element_reference() && tries < 5 => tries += 1,
                Err(error) => panic!("clicking {locator:?}: {error}"),
            }
        }
    }

    /// Whether a button or link with this name is on the screen now.
    pub async fn has_button(&self, name: &str) -> bool {
        !self.browser.find_all(Locator::XPath(&button_xpath(name))).await.unwrap().is_empty()
    }

    pub async fn click_link(&self, name: &str) {
        self.click_fresh(Locator::XPath(&link_xpath(name))).await;
    }

    pub async fn wait_for_link(&self, name: &str) -> Element {
        self.wait_for(Locator::XPath(&link_xpath(name))).await
    }

    /// Waits for a heading with this text.
    pub async fn wait_for_heading(&self, text: &str) -> Element {
        let xpath = format!("//*[self::h1 or self::h2][normalize-space()={}]", literal(text));
        self.wait_for(Locator::XPath(&xpath)).await
    }

    /// Waits until some element's text contains `text`.
    pub async fn wait_for_text(&self, text: &str) -> Element {
        let xpath = format!(
            "//*[contains(normalize-space(), {})][not(*[contains(normalize-space(), {0})])]",
            literal(text)
        );
        self.wait_for(Locator::XPath(&xpath)).await
    }

    pub async fn wait_for(&self, locator: Locator<'_>) -> Element {
        self.browser
            .wait()
            .at_most(PATIENCE)
            .for_element(locator)
            .await
            .unwrap_or_else(|e| panic!("waited for {locator:?}: {e}"))
    }

    /// Waits until `script` returns something truthy.
    pub async fn wait_until(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.browser.execute(script, vec![]).await.unwrap();
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(started.elapsed() < PATIENCE, "waited for {what}, got {value}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot of the screen at both widths under `target/desk-screenshots/`,
    /// checking on the way that every control has a name and nothing is wider than the
    /// window.
    pub async fn screenshots(&self, name: &str) {
        let unnamed = self.browser.execute(UNNAMED_CONTROLS, vec![]).await.unwrap();
        assert_eq!(unnamed, json!([]), "controls without a name on {name}");
        let faint = self.browser.execute(LOW_CONTRAST, vec![]).await.unwrap();
        assert_eq!(faint, json!([]), "text below WCAG AA contrast on {name}");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/desk-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        for width in [WIDE, NARROW] {
            self.browser.set_window_size(width, 900).await.unwrap();
            self.browser
                .execute("document.activeElement?.blur(); window.scrollTo(0, 0);", vec![])
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(150)).await;
            let overflow = self
                .browser
                .execute("return document.documentElement.scrollWidth - window.innerWidth", vec![])
                .await
                .unwrap();
            assert!(
                overflow.as_i64().unwrap_or(0) <= 0,
                "{name} is wider than the window at {width} px: {overflow} px more"
            );
            let png = self.browser.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
        }
        self.browser.set_window_size(WIDE, 900).await.unwrap();
    }

    /// The data of a GraphQL request made as the editor, which must succeed.
    pub async fn api(&self, query: &str, variables: Value) -> Value {
        let response = self.app.gql_as(&self.editor.token, query, variables).await;
        crate::support::data(&response).clone()
    }
}

/// The controls on the screen that a screen reader could not name: form fields without a
/// label, buttons and links without text.
const UNNAMED_CONTROLS: &str = r#"
  const named = (el) => (el.getAttribute('aria-label') || '').trim() || (el.labels && [...el.labels].some(l => l.textContent.trim()));
  return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
    .filter(el => el.offsetParent !== null || el.getClientRects().length)
    .filter(el => (el.matches('button, a') ? !(el.textContent.trim() || el.getAttribute('aria-label')) : !named(el)))
    .map(el => el.outerHTML.slice(0, 120));
"#;

/// Text whose contrast with what is behind it is below WCAG 2.2 AA: 4.5:1, or 3:1 for large
/// text (24 px, or 18.66 px bold). Disabled controls and hidden messages are exempt.
const LOW_CONTRAST: &str = r#"
  const rgba = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const faint = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest('[disabled], .toast, [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const [l1, l2] = [lum(rgba(style.color)), lum(behind(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) faint.push(`${el.tagName} "${el.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}`);
  }
  return faint;
"#;

/// A link by its text.
fn link_xpath(name: &str) -> String {
    format!("//a[normalize-space()={}]", literal(name))
}

fn button_xpath(name: &str) -> String {
    let name = literal(name);
    format!(
        "//*[self::button or (self::a and contains(concat(' ', @class, ' '), ' button '))][normalize-space()={name} or @aria-label={name}]"
    )
}

/// A string as an XPath literal.
fn literal(text: &str) -> String {
    if text.contains('\'') {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    } else {
        format!("'{text}'")
    }
}

/// A browser test: `async fn name(desk: &Desk)` beside `desk_test!(name);`, run on a fresh
/// server and browser. Compiled as ignored when `QUIRE_TEST_CHROMEDRIVER` was not set at
/// build time, so `cargo test` lists it as ignored rather than passing it.
macro_rules! desk_test {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            not(quire_test_browser),
            ignore = "needs Chromium and chromedriver: set QUIRE_TEST_CHROMEDRIVER"
        )]
        async fn $name() {
            let desk = $crate::desk::Desk::start().await;
            let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                flows::$name(&desk),
            ))
            .await;
            desk.finish(stringify!($name), outcome).await;
        }
    };
}

desk_test!(signs_in_and_publishes_a_news_article);
desk_test!(a_conflict_is_resolved_in_the_conflict_view);
desk_test!(uploads_a_booklet_and_its_cover);
desk_test!(schedules_a_press_release_in_local_time);
desk_test!(restores_a_revision);
desk_test!(trashes_and_restores);
desk_test!(an_author_never_sees_publish);
desk_test!(an_admin_creates_a_user_and_a_token);
desk_test!(a_drafts_preview_shows_its_image);
desk_test!(moves_pages_with_the_keyboard_and_the_mouse);
desk_test!(a_session_that_ends_keeps_unsaved_changes);
desk_test!(writes_a_page_under_another_and_a_testimonial);
desk_test!(pages_through_a_long_list);
