//! What a real Jellyfin server does that a client meets (issues 19 and
//! 29), each against the fake in the matching mode: a user without the
//! remuxing permission, an http→https style redirect, a 10.8 server, a base
//! URL (given, or found from the server's root), Quick Connect switched off
//! mid-flow, a server loading, updating or refusing the network, a library
//! hidden from the user, a video without a length, a locked-out account.

use std::sync::Arc;

use matinee_fake_jellyfin as fake;

use fake::{FakeJellyfin, Phase, ServerSetup};
use matinee_jellyfin::{
    Account, ItemQuery, JellyfinClient, JellyfinError, MemoryStore, PlaybackSample, Reporter,
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

/// A server loading, or updating after an upgrade (its set-up app answers
/// public info in camelCase): "still starting", with when to ask again;
/// a server refusing this network says that instead. Fine once running.
#[tokio::test]
async fn a_server_starting_or_updating_is_not_called_foreign() {
    for setup in [ServerSetup::default(), ServerSetup::under("/jellyfin")] {
        let fake = FakeJellyfin::start_with("/dev/null".into(), 600.0, setup.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let mut acc = account(&dir);
        for phase in [Phase::Loading, Phase::Updating] {
            fake.set_phase(phase);
            let err = acc.connect(&fake.url()).await.unwrap_err();
            assert!(
                matches!(err, JellyfinError::Starting { retry_after_s: 5 }),
                "{phase:?} under {:?}: {err}",
                setup.base_path
            );
            assert!(err.to_string().contains("still starting"), "{err}");
            assert!(err.to_string().contains("updating"), "{err}");
        }
        fake.set_phase(Phase::RefusingNetwork);
        let err = acc.connect(&fake.url()).await.unwrap_err();
        assert!(matches!(err, JellyfinError::RefusesNetwork), "{err}");
        assert!(err.to_string().contains("remote access"), "{err}");
        fake.set_phase(Phase::Running);
        acc.connect(&fake.url()).await.expect("fine once started");
    }
}

/// A server whose base URL the address lacks redirects to
/// `../../jellyfin/web/`: the client finds the server under it, keeps
/// that address, and everything works there.
#[tokio::test]
async fn a_server_under_a_base_url_is_found_from_its_root() {
    let fake =
        FakeJellyfin::start_with("/dev/null".into(), 600.0, ServerSetup::under("/jellyfin")).await;
    let root = format!("http://{}", fake.addr);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = plain
        .get(format!("{root}/System/Info/Public"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    assert_eq!(answer.headers()["location"], "../../jellyfin/web/");

    let dir = tempfile::tempdir().unwrap();
    let mut acc = account(&dir);
    let status = acc.connect(&root).await.unwrap();
    assert_eq!(status.server.unwrap().url, format!("{}/", fake.url()));
    acc.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    assert_eq!(acc.client().unwrap().views().await.unwrap().len(), 2);
    // Kept: a new launch goes straight to the base URL.
    let mut again = account(&dir);
    let restored = again.restore().await.unwrap();
    assert_eq!(restored.server.unwrap().url, format!("{}/", fake.url()));
    fake.assert_clean();

    // A server that is not Jellyfin and redirects to its own /web/ is not
    // taken for one, and not followed round in circles.
    let elsewhere =
        FakeJellyfin::start_with("/dev/null".into(), 600.0, ServerSetup::under("/jf")).await;
    let err = account(&dir)
        .connect(&format!("http://{}/jf/other", elsewhere.addr))
        .await
        .unwrap_err();
    assert!(matches!(err, JellyfinError::NotJellyfin { .. }), "{err}");
}

/// An admin hides a library: listing it answers 401, but the sign-in
/// still works. That is "no access to this library", not a sign-out; a
/// token the server no longer knows still is.
#[tokio::test]
async fn a_hidden_library_is_no_access_not_a_sign_out() {
    let fake = FakeJellyfin::start("/dev/null".into(), 600.0).await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    c.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    let films = ItemQuery {
        parent_id: Some(fake::MOVIES.into()),
        limit: 50,
        ..ItemQuery::default()
    };
    assert_eq!(c.items(&films).await.unwrap().items.len(), 2);
    fake.hide_library(fake::MOVIES);
    let err = c.items(&films).await.unwrap_err();
    assert!(matches!(err, JellyfinError::NoAccess), "{err}");
    assert!(err.to_string().contains("no longer have access"), "{err}");
    assert_eq!(fake.valid_tokens(), 1, "the token is kept");
    assert_eq!(c.views().await.unwrap().len(), 1, "the other library stays");

    fake.revoke_all();
    let err = c.items(&films).await.unwrap_err();
    assert!(matches!(err, JellyfinError::SignedOut), "{err}");
    fake.assert_clean();
}

/// A video without a length: the client knows the server keeps no resume
/// point for it, and the server marks it watched at the first report.
#[tokio::test]
async fn a_video_without_a_length_keeps_no_resume_point() {
    let film = matinee_testkit::clip(matinee_testkit::ClipSpec::small(2));
    let fake = FakeJellyfin::start_with(film, 600.0, ServerSetup::with_home_videos()).await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    c.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    assert!(c.item(fake::FILM).await.unwrap().keeps_resume_point());
    let video = c.item(fake::HOME_VIDEO).await.unwrap();
    assert_eq!(video.run_time_ticks, None);
    assert!(!video.keeps_resume_point());

    let plan = c.plan_stream(fake::HOME_VIDEO).await.unwrap();
    let reporter = Reporter::new(c.clone(), &plan);
    let at = |position| PlaybackSample {
        position,
        paused: false,
    };
    reporter.started(at(0.0)).await.unwrap();
    assert!(!fake.played(fake::HOME_VIDEO));
    reporter.progress(at(30.0)).await.unwrap();
    assert!(fake.played(fake::HOME_VIDEO), "watched at the first report");
    assert_eq!(fake.resume_ticks(fake::HOME_VIDEO), Some(0));
    let after = c.item(fake::HOME_VIDEO).await.unwrap();
    assert_eq!(after.resume_seconds(), None);
    // The film at 30 s of 600 keeps its place as before.
    let plan = c.plan_stream(fake::FILM).await.unwrap();
    Reporter::new(c.clone(), &plan)
        .progress(at(60.0))
        .await
        .unwrap();
    assert_eq!(fake.resume_ticks(fake::FILM), Some(600_000_000));
    fake.assert_clean();
}

/// Wrong passwords until the account locks: each is "wrong password";
/// then the right one is told the account is disabled or locked out, not
/// "not allowed to do that".
#[tokio::test]
async fn a_locked_out_account_is_named() {
    let fake = FakeJellyfin::start("/dev/null".into(), 600.0).await;
    fake.set_lockout_after(3);
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    for _ in 0..3 {
        let err = c.sign_in(fake::USER, "wrong").await.unwrap_err();
        assert!(matches!(err, JellyfinError::BadCredentials), "{err}");
    }
    let err = c.sign_in(fake::USER, fake::PASSWORD).await.unwrap_err();
    assert!(matches!(err, JellyfinError::AccountBlocked), "{err}");
    assert!(err.to_string().contains("disabled or locked out"), "{err}");
    fake.set_disabled(false);
    c.sign_in(fake::USER, fake::PASSWORD)
        .await
        .expect("unlocked");
    // The server matches names whatever their case.
    c.sign_in(&fake::USER.to_uppercase(), fake::PASSWORD)
        .await
        .expect("ANA is ana");
    fake.assert_clean();
}

/// Quick Connect switched off after the code was approved, before the
/// sign-in: "turned off", not "expired".
#[tokio::test]
async fn quick_connect_switched_off_after_approval_says_so() {
    let fake = FakeJellyfin::start("/dev/null".into(), 600.0).await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    let start = c.quick_connect_start().await.unwrap();
    assert!(fake.approve(&start.code));
    assert!(c.quick_connect_approved(&start.secret).await.unwrap());
    fake.set_quick_connect(false);
    let err = c.quick_connect_finish(&start.secret).await.unwrap_err();
    assert!(matches!(err, JellyfinError::QuickConnectDisabled), "{err}");
    // Switched on again, a request that expired is still "expired".
    fake.set_quick_connect(true);
    fake.age_quick_connect(std::time::Duration::from_secs(11 * 60));
    let err = c.quick_connect_finish(&start.secret).await.unwrap_err();
    assert!(matches!(err, JellyfinError::QuickConnectExpired), "{err}");
    fake.assert_clean();
}
