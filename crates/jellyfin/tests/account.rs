//! The account across launches: server chosen, sign-in by password or
//! Quick Connect, the token in the store (never in the profile file),
//! restore, sign-out, a sign-in the server ended, and cached posters.

use matinee_fake_jellyfin as fake;

use std::sync::Arc;

use fake::FakeJellyfin;
use matinee_jellyfin::{Account, JellyfinError, MemoryStore, TokenStore};

struct Setup {
    fake: FakeJellyfin,
    store: Arc<MemoryStore>,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Self {
        Self {
            fake: FakeJellyfin::start("/dev/null".into(), 600.0).await,
            store: Arc::new(MemoryStore::default()),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A fresh launch of the app: same profile file, same keyring.
    fn launch(&self) -> Account {
        Account::new(
            fake::device(),
            self.store.clone(),
            self.dir.path().join("jellyfin.json"),
        )
    }

    fn profile_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("jellyfin.json")).unwrap()
    }

    fn stored_token(&self) -> Option<String> {
        let account = format!("{}/{}", fake::SERVER_ID, fake::USER_ID);
        self.store.load(&account).unwrap()
    }
}

#[tokio::test]
async fn a_password_sign_in_survives_a_restart_and_sign_out_ends_it() {
    let s = Setup::new().await;
    let mut account = s.launch();
    assert_eq!(account.restore().await.unwrap().server, None);
    assert!(matches!(account.client(), Err(JellyfinError::NoServer)));

    let status = account.connect(&s.fake.url()).await.unwrap();
    let server = status.server.expect("server chosen");
    assert_eq!(server.name, "Fake Jellyfin");
    assert!(server.version.starts_with("10.11"));
    assert_eq!(status.user, None);
    assert!(matches!(account.client(), Err(JellyfinError::NotSignedIn)));

    let wrong = account.sign_in(fake::USER, "nope").await.unwrap_err();
    assert!(matches!(wrong, JellyfinError::BadCredentials), "{wrong:?}");
    assert_eq!(s.stored_token(), None);

    let status = account.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    assert_eq!(status.user.as_deref(), Some(fake::USER));
    let token = s.stored_token().expect("token in the store");
    let profile = s.profile_text();
    assert!(!profile.contains(&token), "the token stays out of the file");
    assert!(!profile.contains(fake::PASSWORD));
    assert!(profile.contains(fake::USER_ID));

    // Next launch: signed in without asking.
    let mut again = s.launch();
    let status = again.restore().await.unwrap();
    assert_eq!(status.user.as_deref(), Some(fake::USER));
    let views = again.client().unwrap().views().await.unwrap();
    assert_eq!(views.len(), 2);

    let tokens = s.fake.valid_tokens();
    let status = again.sign_out().await.unwrap();
    assert_eq!(status.user, None);
    assert!(status.server.is_some(), "the server stays chosen");
    assert_eq!(s.fake.valid_tokens(), tokens - 1, "revoked on the server");
    assert_eq!(s.stored_token(), None, "gone from the store");

    let status = s.launch().restore().await.unwrap();
    assert!(status.server.is_some());
    assert_eq!(status.user, None);
    s.fake.assert_clean();
}

#[tokio::test]
async fn quick_connect_signs_in_once_the_code_is_approved() {
    let s = Setup::new().await;
    let mut account = s.launch();
    assert!(matches!(
        account.quick_connect_start().await,
        Err(JellyfinError::NoServer)
    ));
    account.connect(&s.fake.url()).await.unwrap();
    let code = account.quick_connect_start().await.unwrap();
    assert_eq!(code.len(), 6);
    assert_eq!(account.quick_connect_poll().await.unwrap(), None);
    assert!(s.fake.approve(&code));
    let status = account
        .quick_connect_poll()
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!(status.user.as_deref(), Some(fake::USER));
    assert!(s.stored_token().is_some());
    // The code is spent.
    assert!(matches!(
        account.quick_connect_poll().await,
        Err(JellyfinError::QuickConnectExpired)
    ));

    s.fake.set_quick_connect(false);
    assert!(matches!(
        account.quick_connect_start().await,
        Err(JellyfinError::QuickConnectDisabled)
    ));
    s.fake.assert_clean();
}

#[tokio::test]
async fn a_sign_in_the_server_ended_is_forgotten() {
    let s = Setup::new().await;
    let mut account = s.launch();
    account.connect(&s.fake.url()).await.unwrap();
    account.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    s.fake.revoke_all();
    let err = account.client().unwrap().views().await.unwrap_err();
    assert!(matches!(err, JellyfinError::SignedOut), "{err:?}");
    account.signed_out_by_server().await.unwrap();
    assert_eq!(account.status().user, None);
    assert_eq!(s.stored_token(), None);
    assert_eq!(s.launch().restore().await.unwrap().user, None);
}

#[tokio::test]
async fn a_bad_address_changes_nothing() {
    let s = Setup::new().await;
    let mut account = s.launch();
    account.connect(&s.fake.url()).await.unwrap();
    account.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    assert!(matches!(
        account.connect("ftp://nowhere").await,
        Err(JellyfinError::BadUrl(_))
    ));
    assert!(matches!(
        account.connect("http://127.0.0.1:9").await,
        Err(JellyfinError::Unreachable { .. })
    ));
    assert_eq!(account.status().user.as_deref(), Some(fake::USER));
    assert!(s.stored_token().is_some());
}

#[tokio::test]
async fn posters_are_data_urls_fetched_once() {
    let s = Setup::new().await;
    let mut account = s.launch();
    account.connect(&s.fake.url()).await.unwrap();
    account.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let client = account.client().unwrap();
    let posters = account.posters();
    let first = posters.get(&client, fake::FILM, 300).await.unwrap();
    assert!(first.starts_with("data:image/png;base64,"), "{first}");
    let second = posters.get(&client, fake::FILM, 300).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(s.fake.seen("/Items/{itemId}/Images/{imageType}").len(), 1);
    assert_eq!(posters.len(), 1);
    s.fake.assert_clean();
}
