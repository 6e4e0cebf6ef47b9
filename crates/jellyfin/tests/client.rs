//! The Jellyfin client against the fake server, which checks every request
//! against the OpenAPI document.

use matinee_fake_jellyfin as fake;

use fake::FakeJellyfin;
use matinee_jellyfin::{ItemQuery, JellyfinClient, JellyfinError};
use reqwest::Method;

async fn server() -> FakeJellyfin {
    // The fake never reads the file for these tests.
    FakeJellyfin::start("/dev/null".into(), 600.0).await
}

async fn signed_in(fake: &FakeJellyfin) -> JellyfinClient {
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    c.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    c
}

#[tokio::test]
async fn the_checker_refuses_what_the_spec_does_not_allow() {
    let fake = server().await;
    let auth = fake::device().authorization(None);
    // Wrong method, unknown path, unknown and missing parameters, bad
    // types, a body that breaks the schema, a malformed header.
    let bad_body = serde_json::json!({ "User": "ana", "Pw": "x" });
    let refused = [
        (Method::DELETE, "/System/Info/Public", auth.as_str(), None),
        (Method::GET, "/No/Such/Path", &auth, None),
        (Method::GET, "/QuickConnect/Connect", &auth, None),
        (Method::GET, "/System/Info/Public?api_key=x", &auth, None),
        (Method::GET, "/Items?limit=ten", &auth, None),
        (Method::GET, "/Items/not-a-uuid", &auth, None),
        (
            Method::POST,
            "/Users/AuthenticateByName",
            &auth,
            Some(bad_body),
        ),
        (Method::GET, "/System/Info/Public", "Bearer abc", None),
        (
            Method::GET,
            "/System/Info/Public",
            "MediaBrowser Client=\"Matinee\"",
            None,
        ),
    ];
    for (method, path, authorization, body) in refused {
        let what = format!("{method} {path} with {authorization:?}");
        assert_eq!(
            fake::raw(&fake, method, path, Some(authorization), body).await,
            400,
            "{what}"
        );
    }
    assert_eq!(fake.violations().len(), 9, "{:#?}", fake.violations());
    // A valid request passes.
    assert_eq!(
        fake::raw(&fake, Method::GET, "/System/Info/Public", Some(&auth), None).await,
        200
    );
    assert_eq!(fake.violations().len(), 9);
}

#[tokio::test]
async fn checks_the_server_and_says_what_is_wrong() {
    let fake = server().await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    let info = c.public_info().await.unwrap();
    assert_eq!(info.server_name.as_deref(), Some("Fake Jellyfin"));
    assert_eq!(info.version.as_deref(), Some("10.11.11"));

    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut gone = JellyfinClient::new(&format!("127.0.0.1:{port}"), fake::device()).unwrap();
    let err = gone.public_info().await.unwrap_err();
    assert!(matches!(err, JellyfinError::Unreachable { .. }), "{err}");

    // Something that is not Jellyfin.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(|| async { "<html>router admin</html>" });
        let _ = axum::serve(other, app).await;
    });
    let mut not = JellyfinClient::new(&format!("http://{other_addr}"), fake::device()).unwrap();
    let err = not.public_info().await.unwrap_err();
    assert!(matches!(err, JellyfinError::NotJellyfin { .. }), "{err}");
    assert!(err.to_string().contains("not a Jellyfin server"));

    // TLS to a plain-HTTP port fails as a TLS problem, not a mystery.
    let mut tls = JellyfinClient::new(&format!("https://{}", fake.addr), fake::device()).unwrap();
    let err = tls.public_info().await.unwrap_err();
    assert!(matches!(err, JellyfinError::Tls { .. }), "{err}");

    assert!(matches!(
        JellyfinClient::new("ftp://x", fake::device()),
        Err(JellyfinError::BadUrl(_))
    ));
    fake.assert_clean();
}

#[tokio::test]
async fn signs_in_with_a_password_and_refuses_a_wrong_one() {
    let fake = server().await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    let err = c.sign_in(fake::USER, "wrong").await.unwrap_err();
    assert!(matches!(err, JellyfinError::BadCredentials), "{err}");
    assert_eq!(err.to_string(), "wrong username or password");
    assert!(c.session().is_none());

    let s = c.sign_in(fake::USER, fake::PASSWORD).await.unwrap();
    assert_eq!(s.user_id, fake::USER_ID);
    assert_eq!(s.server_id, fake::SERVER_ID);
    assert_eq!(
        s.account(),
        format!("{}/{}", fake::SERVER_ID, fake::USER_ID)
    );
    let auth = fake.seen("/Users/AuthenticateByName")[1]
        .authorization
        .clone()
        .unwrap();
    assert!(auth.contains(&format!("DeviceId=\"{}\"", fake::DEVICE_ID)));
    assert!(!auth.contains("Token="), "no token before sign-in");
    fake.assert_clean();
}

#[tokio::test]
async fn quick_connect_shows_a_code_and_signs_in_once_approved() {
    let fake = server().await;
    let mut c = JellyfinClient::new(&fake.url(), fake::device()).unwrap();
    let start = c.quick_connect_start().await.unwrap();
    assert_eq!(start.code.len(), 6);
    assert!(!c.quick_connect_approved(&start.secret).await.unwrap());
    assert!(fake.approve(&start.code));
    assert!(c.quick_connect_approved(&start.secret).await.unwrap());
    let s = c.quick_connect_finish(&start.secret).await.unwrap();
    assert_eq!(s.user_name, fake::USER);
    // As on a real server, signing in does not spend the secret; it lives
    // ten minutes.
    assert!(c.quick_connect_approved(&start.secret).await.unwrap());
    fake.age_quick_connect(std::time::Duration::from_secs(601));
    let err = c.quick_connect_approved(&start.secret).await.unwrap_err();
    assert!(matches!(err, JellyfinError::QuickConnectExpired), "{err}");

    fake.set_quick_connect(false);
    let err = c.quick_connect_start().await.unwrap_err();
    assert!(matches!(err, JellyfinError::QuickConnectDisabled), "{err}");
    fake.assert_clean();
}

#[tokio::test]
async fn browses_libraries_pages_searches_and_shows() {
    let fake = server().await;
    let c = signed_in(&fake).await;
    let views = c.views().await.unwrap();
    assert_eq!(
        views
            .iter()
            .map(|v| v.name.clone().unwrap())
            .collect::<Vec<_>>(),
        ["Films", "Shows"]
    );

    let q = |start, limit| ItemQuery {
        parent_id: Some(fake::MOVIES.into()),
        start,
        limit,
        ..ItemQuery::default()
    };
    let first = c.items(&q(0, 1)).await.unwrap();
    assert_eq!(first.total_record_count, 2);
    assert_eq!(first.items[0].name.as_deref(), Some("Big Buck Bunny"));
    let second = c.items(&q(1, 1)).await.unwrap();
    assert_eq!(second.items[0].name.as_deref(), Some("Sintel"));
    assert_eq!(second.start_index, 1);

    let found = c
        .items(&ItemQuery {
            search: Some("sint".into()),
            limit: 20,
            types: vec!["Movie".into(), "Series".into()],
            ..ItemQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let film = &found.items[0];
    assert_eq!(
        film.provider_ids().get("Tmdb").map(String::as_str),
        Some("45745")
    );
    assert_eq!(film.runtime_seconds(), Some(600.0));
    assert!(film.has_primary_image());

    let seasons = c.seasons(fake::SERIES).await.unwrap();
    assert_eq!(seasons.len(), 1);
    let episodes = c.episodes(fake::SERIES, &seasons[0].id).await.unwrap();
    assert_eq!(
        episodes
            .iter()
            .map(|e| e.index_number.unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );

    let detail = c.item(fake::FILM).await.unwrap();
    assert_eq!(detail.production_year, Some(2008));
    assert!(detail.overview.unwrap().contains("test film"));
    let (mime, poster) = c.poster(fake::FILM, 300).await.unwrap();
    assert_eq!(mime, "image/png");
    assert!(poster.starts_with(b"\x89PNG"));
    assert!(matches!(
        c.item("../../System").await,
        Err(JellyfinError::NotFound)
    ));
    fake.assert_clean();
}

#[tokio::test]
async fn signing_out_revokes_the_token() {
    let fake = server().await;
    let mut c = signed_in(&fake).await;
    let kept = c.clone();
    assert_eq!(fake.valid_tokens(), 1);
    c.sign_out().await.unwrap();
    assert_eq!(fake.valid_tokens(), 0);
    assert!(matches!(c.views().await, Err(JellyfinError::NotSignedIn)));
    // A copy that still holds the old token is told to sign in again.
    let err = kept.views().await.unwrap_err();
    assert!(matches!(err, JellyfinError::SignedOut), "{err}");
    fake.assert_clean();
}

#[tokio::test]
async fn plans_a_direct_stream_without_the_token_in_the_url() {
    let fake = server().await;
    let c = signed_in(&fake).await;
    let plan = c.plan_stream(fake::FILM).await.unwrap();
    let url = plan.url.as_str();
    assert!(
        url.contains(&format!(
            "/Videos/{}/stream?static=true&mediaSourceId={}",
            fake::FILM,
            fake::SOURCE
        )),
        "{url}"
    );
    let token = c.session().unwrap().token.expose().to_string();
    assert!(!url.contains(&token), "the token stays out of URLs");
    assert!(c.authorization().contains(&format!("Token=\"{token}\"")));
    assert!(!plan.play_session_id.is_empty());
    let info = plan.media_info();
    assert_eq!(info.name, "Big Buck Bunny");
    assert_eq!(info.duration, Some(600.0));
    assert_eq!(
        info.provider_ids.get("Imdb").map(String::as_str),
        Some("tt1254207")
    );
    // A series is not asked about (a real server answers 500).
    assert!(matches!(
        c.plan_stream(fake::SERIES).await,
        Err(JellyfinError::NotPlayable)
    ));
    assert!(fake.seen("/Items/{itemId}/PlaybackInfo").len() == 1);
    fake.assert_clean();
}
