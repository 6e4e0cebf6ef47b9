//! What a real Jellyfin server does that a client meets (issue 19), each
//! against the fake in the matching mode: a user without the remuxing
//! permission, an http→https style redirect, a 10.8 server, a base URL, Quick
//! Connect switched off mid-flow, a server starting up.

use std::sync::Arc;

use matinee_fake_jellyfin as fake;

use fake::{FakeJellyfin, ServerSetup};
use matinee_jellyfin::{
    Account, JellyfinClient, JellyfinError, MemoryStore, PlaybackSample, Reporter,
};

fn account(dir: &tempfile::TempDir) -> Account {
    Account::new(
        fake::device(),
        Arc::new(MemoryStore::default()),
        dir.path().join("jellyfin.json"),
    )
}

/// A user without "Allow playback that requires remuxing" gets
/// SupportsDirectStream = false and SupportsDirectPlay = true: the file is
/// still played as it is, and reported as direct play.
#[tokio::test]
async fn a_user_without_remuxing_still_plays_the_file_as_it_is() {
    let fake =
        FakeJellyfin::start_with("/dev/null".into(), 600.0, ServerSetup::restricted_user()).await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    c.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let plan = c.plan_stream(fake::FILM).await.expect("playable");
    assert_eq!(plan.media_source.supports_direct_stream, Some(false));
    assert!(plan.url.as_str().contains("static=true"));
    let reporter = Reporter::new(c.clone(), &plan);
    reporter
        .started(PlaybackSample {
            position: 0.0,
            paused: false,
        })
        .await
        .unwrap();
    let started = fake.seen("/Sessions/Playing");
    assert_eq!(started[0].body["PlayMethod"], "DirectPlay");
    fake.assert_clean();
}

/// A server behind a redirect (http to https, another host or port):
/// connecting follows it once and keeps the new address; sign-in then
/// posts there (never a POST replayed as a GET, never a token sent across).
#[tokio::test]
async fn a_redirecting_server_is_followed_once_and_kept() {
    let fake = FakeJellyfin::start("/dev/null".into(), 600.0).await;
    let front = fake.redirect_front().await;
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(&dir);
    let status = acc.connect(&front.url()).await.unwrap();
    let server = status.server.unwrap();
    assert_eq!(
        server.url,
        format!("{}/", fake.url()),
        "the new address is kept"
    );
    acc.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let views = acc.client().unwrap().views().await.unwrap();
    assert_eq!(views.len(), 2);
    let signs = fake.seen("/Users/AuthenticateByName");
    assert_eq!(signs.len(), 1);
    assert_eq!(signs[0].method, "POST");

    // A client that was never told: the redirect is reported, not followed
    // with the password or the token.
    let mut stale = JellyfinClient::new(&front.url(), fake::device()).unwrap();
    let err = stale.sign_in(fake::USER, fake::PASSWORD).await.unwrap_err();
    assert!(matches!(err, JellyfinError::Moved { .. }), "{err}");
    assert!(err.to_string().contains(&fake.url()), "{err}");
    assert_eq!(fake.seen("/Users/AuthenticateByName").len(), 1);
    fake.assert_clean();
}

#[tokio::test]
async fn a_10_8_server_is_refused_with_the_version_needed() {
    let fake =
        FakeJellyfin::start_with("/dev/null".into(), 600.0, ServerSetup::version_10_8()).await;
    let dir = tempfile::tempdir().unwrap();
    let err = account(&dir).connect(&fake.url()).await.unwrap_err();
    assert!(matches!(err, JellyfinError::TooOld { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "Jellyfin 10.9 or newer is needed (this server runs 10.8.13)"
    );
}

#[tokio::test]
async fn a_server_under_a_base_url_works_throughout() {
    let film = matinee_testkit::clip(matinee_testkit::ClipSpec::small(2));
    let fake = FakeJellyfin::start_with(film, 2.0, ServerSetup::under("/jellyfin")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(&dir);
    acc.connect(&fake.url()).await.unwrap();
    acc.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let c = acc.client().unwrap();
    assert_eq!(c.views().await.unwrap().len(), 2);
    let plan = c.plan_stream(fake::FILM).await.unwrap();
    assert!(
        plan.url.path().starts_with("/jellyfin/Videos/"),
        "{}",
        plan.url
    );
    let bytes = reqwest::get(plan.url.as_str()).await.unwrap();
    assert_eq!(
        bytes.status(),
        200,
        "the stream is served under the base URL"
    );
    fake.assert_clean();
}

#[tokio::test]
async fn quick_connect_switched_off_while_the_code_shows_says_so() {
    let fake = FakeJellyfin::start("/dev/null".into(), 600.0).await;
    let c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    let start = c.quick_connect_start().await.unwrap();
    fake.set_quick_connect(false);
    let err = c.quick_connect_approved(&start.secret).await.unwrap_err();
    assert!(matches!(err, JellyfinError::QuickConnectDisabled), "{err}");
    assert!(
        err.to_string().contains("Quick Connect is turned off"),
        "{err}"
    );
    fake.assert_clean();
}

#[tokio::test]
async fn a_server_starting_up_is_not_called_foreign() {
    let fake = FakeJellyfin::start("/dev/null".into(), 600.0).await;
    fake.set_starting_up(true);
    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(&dir);
    let err = acc.connect(&fake.url()).await.unwrap_err();
    assert!(matches!(err, JellyfinError::ServerBusy), "{err}");
    assert!(err.to_string().contains("still starting up"), "{err}");
    fake.set_starting_up(false);
    acc.connect(&fake.url()).await.expect("fine once started");
}
