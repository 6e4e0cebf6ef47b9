//! Error paths of the IPC client against a scripted fake mpv.

use std::time::Duration;

use matinee_mpv::{MpvClient, MpvError, MpvEvent, Property};
use serde_json::{json, Value};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};

struct Fake {
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    out: WriteHalf<DuplexStream>,
}

impl Fake {
    async fn next_request(&mut self) -> Value {
        let line = self.lines.next_line().await.unwrap().expect("a request");
        serde_json::from_str(&line).unwrap()
    }
    async fn say(&mut self, v: Value) {
        self.out
            .write_all(format!("{v}\n").as_bytes())
            .await
            .unwrap();
    }
    async fn say_raw(&mut self, text: &str) {
        self.out.write_all(text.as_bytes()).await.unwrap();
    }
}

/// A client connected to a fake that acknowledges the observe requests.
async fn pair() -> (MpvClient, Fake) {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let (r, w) = tokio::io::split(ours);
    let (fr, fw) = tokio::io::split(theirs);
    let mut fake = Fake {
        lines: BufReader::new(fr).lines(),
        out: fw,
    };
    let mut client = tokio::spawn(MpvClient::start(r, w));
    // Every observe request is acknowledged until the client is up.
    loop {
        tokio::select! {
            started = &mut client => return (started.unwrap().unwrap(), fake),
            req = fake.next_request() => {
                assert_eq!(req["command"][0], "observe_property");
                fake.say(json!({"request_id": req["request_id"], "error": "success"}))
                    .await;
            }
        }
    }
}

#[tokio::test]
async fn replies_are_matched_by_request_id_even_out_of_order() {
    let (client, mut fake) = pair().await;
    let c1 = client.clone();
    let a = tokio::spawn(async move { c1.get_number("time-pos").await });
    let first = fake.next_request().await;
    let c2 = client.clone();
    let b = tokio::spawn(async move { c2.get_number("duration").await });
    let second = fake.next_request().await;
    assert_eq!(second["command"], json!(["get_property", "duration"]));
    fake.say(json!({"request_id": second["request_id"], "error": "success", "data": 20.0}))
        .await;
    fake.say(json!({"request_id": first["request_id"], "error": "success", "data": 3.5}))
        .await;
    assert_eq!(a.await.unwrap().unwrap(), Some(3.5));
    assert_eq!(b.await.unwrap().unwrap(), Some(20.0));
}

#[tokio::test]
async fn refusals_and_timeouts_are_typed_errors() {
    let (client, mut fake) = pair().await;
    client.set_request_timeout(Duration::from_millis(200));
    let c = client.clone();
    let refused = tokio::spawn(async move { c.seek_to(5.0).await });
    let req = fake.next_request().await;
    assert_eq!(req["command"], json!(["seek", 5.0, "absolute+exact"]));
    fake.say(json!({"request_id": req["request_id"], "error": "invalid parameter"}))
        .await;
    match refused.await.unwrap() {
        Err(MpvError::Command(e)) => assert_eq!(e, "invalid parameter"),
        other => panic!("{other:?}"),
    }
    // No answer at all.
    let err = client.set_pause(true).await.unwrap_err();
    assert!(matches!(err, MpvError::Timeout(_)), "{err}");
    let _ = fake.next_request().await;
}

#[tokio::test]
async fn garbage_is_skipped_and_events_update_the_state() {
    let (client, mut fake) = pair().await;
    let mut events = client.events();
    let mut state = client.state();
    fake.say_raw("this is not json\n{\"event\":\"unknown-thing\"}\n")
        .await;
    fake.say(json!({"event":"property-change","id":2,"name":"pause","data":false}))
        .await;
    fake.say(json!({"event":"property-change","id":1,"name":"time-pos","data":4.25}))
        .await;
    assert_eq!(
        events.recv().await.unwrap(),
        MpvEvent::Property(Property::Pause(false))
    );
    assert_eq!(
        events.recv().await.unwrap(),
        MpvEvent::Property(Property::TimePos(Some(4.25)))
    );
    state.wait_for(|s| s.time_pos == Some(4.25)).await.unwrap();
    assert!(!state.borrow().pause);
}

#[tokio::test]
async fn a_vanished_mpv_fails_pending_requests_and_says_closed() {
    let (client, mut fake) = pair().await;
    let mut events = client.events();
    let c = client.clone();
    let pending = tokio::spawn(async move { c.set_speed(1.1).await });
    let _ = fake.next_request().await;
    drop(fake);
    assert!(matches!(pending.await.unwrap(), Err(MpvError::Closed)));
    assert_eq!(events.recv().await.unwrap(), MpvEvent::Closed);
    assert!(client.is_closed());
    let started = std::time::Instant::now();
    assert!(matches!(
        client.set_pause(false).await,
        Err(MpvError::Closed)
    ));
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "fails at once, no timeout"
    );
}
