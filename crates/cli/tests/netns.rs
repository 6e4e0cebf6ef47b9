//! Friends in other homes: a host behind a home router that does NAT and
//! runs the real miniupnpd, a friend on "the internet", each a Linux
//! network namespace made (and always removed) by `scripts/netlab`. The
//! host runs `matinee-cli host` the way the app hosts (all interfaces, TLS,
//! port mapping); the friend joins with the invite it printed.
//!
//! Needs root, `ip`, `iptables-legacy` and `miniupnpd` (scripts/test
//! installs them and runs these with `--ignored`):
//! `cargo test --workspace --test netns -- --ignored --test-threads 1`.

// Linux only: network namespaces.
#![cfg(target_os = "linux")]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{invite_of, Cli};
use matinee_testkit::{clip, ClipSpec};
use serde_json::Value;

/// Namespaces for one case, removed on drop (also when the test fails).
struct Lab {
    prefix: String,
}

fn netlab() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/netlab")
}

impl Lab {
    fn up(case: &str, mode: &str) -> Lab {
        Self::up_with(case, mode, &[])
    }

    /// With a friend's home behind its own NAT (`nat`, or `nat-noudp`).
    fn up_with(case: &str, mode: &str, extra: &[&str]) -> Lab {
        let prefix = format!("mt{}{case}", std::process::id() % 10000);
        let lab = Lab { prefix };
        let mut args = vec![mode];
        args.extend_from_slice(extra);
        lab.netlab("up", &args);
        lab
    }

    /// `scripts/netlab COMMAND PREFIX ARGS…`, which must succeed.
    fn netlab(&self, command: &str, args: &[&str]) {
        run_ok(
            Command::new(netlab())
                .args([command, &self.prefix])
                .args(args),
            &format!("netlab {command}"),
        );
    }

    fn ns(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// The router's port forwards.
    fn mappings(&self) -> Vec<String> {
        let out = Command::new(netlab())
            .args(["mappings", &self.prefix])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The router forwards nothing any more.
    fn assert_no_mappings(&self, when: &str) {
        assert_eq!(self.mappings(), Vec::<String>::new(), "{when}");
    }

    fn host(&self, film: &str) -> Cli {
        Cli::spawn_in(
            Some(&self.ns("home")),
            &["host", film, "--nickname", "Ana", "--headless", "--json"],
        )
    }

    fn friend(&self, invite: &str, film: &str) -> Cli {
        Cli::spawn_in(Some(&self.ns("inet")), &ben(invite, film))
    }
}

/// Ben's command line: he joins with the invite, nothing else.
fn ben<'a>(invite: &'a str, film: &'a str) -> [&'a str; 7] {
    [
        "join",
        invite,
        film,
        "--nickname",
        "Ben",
        "--headless",
        "--json",
    ]
}

/// The standalone relay binary with its iroh relay (built beside
/// matinee-cli by the workspace build, whose tests ask for the `iroh-relay`
/// feature; built here when missing).
fn relay_binary() -> PathBuf {
    let cli = PathBuf::from(env!("CARGO_BIN_EXE_matinee-cli"));
    let relay = cli.with_file_name(format!("matinee-relay{}", std::env::consts::EXE_SUFFIX));
    if !relay.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "matinee-relay", "--bin", "matinee-relay"])
            .args(["--features", "iroh-relay"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building matinee-relay");
    }
    relay
}

/// An iroh relay on "the internet" (`matinee-relay --iroh-relay`), killed
/// when dropped.
struct IrohRelay {
    child: std::process::Child,
    url: String,
    /// With TLS: the authority its certificate comes from (public relays
    /// have certificates from the web's authorities; this lab's relay has
    /// one from its own, which the endpoints are told to trust).
    ca: Option<PathBuf>,
    _certs: tempfile::TempDir,
}

/// A certificate authority and a certificate for 5.5.5.2 it signed
/// (openssl): `ca.pem`, `cert.pem`, `key.pem` in `dir`.
fn lab_certificates(dir: &std::path::Path) {
    let script = r#"set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout ca.key -out ca.pem -days 2 -subj /CN=netlab-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout key.pem -out cert.csr -subj /CN=5.5.5.2
printf 'subjectAltName=IP:5.5.5.2\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext
openssl x509 -req -in cert.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out cert.pem -days 2 -extfile ext
"#;
    run_ok(
        Command::new("bash").args(["-c", script]).current_dir(dir),
        "certificates",
    );
}

/// Runs `command`, which must succeed (else its error output is shown).
fn run_ok(command: &mut Command, what: &str) {
    let out = command.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl IrohRelay {
    /// Plain HTTP at 5.5.5.2:3340; with `tls`, HTTPS and QUIC address
    /// discovery at 5.5.5.2:3341 too (the URL is then the HTTPS one).
    fn start(lab: &Lab, tls: bool) -> IrohRelay {
        let certs = tempfile::tempdir().unwrap();
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &lab.ns("inet")])
            .arg(relay_binary())
            .args(["--listen", "5.5.5.2:7878", "--iroh-relay", "5.5.5.2:3340"]);
        if tls {
            lab_certificates(certs.path());
            command
                .args(["--iroh-relay-https", "5.5.5.2:3341", "--tls-cert"])
                .arg(certs.path().join("cert.pem"))
                .arg("--tls-key")
                .arg(certs.path().join("key.pem"));
        }
        let child = command
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("matinee-relay starts");
        let (url, port, ca) = if tls {
            (
                "https://5.5.5.2:3341",
                3341,
                Some(certs.path().join("ca.pem")),
            )
        } else {
            ("http://5.5.5.2:3340", 3340, None)
        };
        let relay = IrohRelay {
            child,
            url: url.into(),
            ca,
            _certs: certs,
        };
        // Bounded wait until it answers.
        for _ in 0..100 {
            let up = Command::new("ip")
                .args(["netns", "exec", &lab.ns("inet"), "bash", "-c"])
                .arg(format!("exec 3<>/dev/tcp/5.5.5.2/{port}"))
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if up {
                return relay;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the iroh relay did not start");
    }
}

impl Drop for IrohRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new(netlab()).args(["down", &self.prefix]).status();
    }
}

fn film() -> String {
    clip(ClipSpec::small(120)).display().to_string()
}

/// The friend's room line (30 s at most: the first start builds a TLS
/// setup and launches mpv in a fresh namespace).
async fn friend_in(friend: &mut Cli) -> Value {
    friend
        .until_within(Duration::from_secs(30), |v| v["type"] == "room")
        .await
}

/// The host's reachability once it is settled (not "checking").
async fn settled_reach(host: &mut Cli) -> Value {
    host.until_within(Duration::from_secs(30), |v| {
        v["type"] == "reachability" && v["reach"]["kind"] != "checking"
    })
    .await
}

/// (a) UPnP and NAT-PMP/PCP on: the friend joins through the router's
/// public address, TLS pinned, the films play in step, and the router
/// forwards nothing once the host quits.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn a_friend_elsewhere_joins_through_the_mapped_port_and_plays_in_step() {
    let lab = Lab::up("a", "upnp");
    let film = film();
    let mut host = lab.host(&film);
    let reach = settled_reach(&mut host).await;
    assert_eq!(reach["reach"]["kind"], "anywhere", "{reach}");
    let message = reach["reach"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Friends anywhere can join (direct connection through your router: ")
            && message.contains("5.5.5.1:"),
        "{message}"
    );
    let invite = invite_of(&reach);
    assert!(
        invite.contains("10.77.0.2:") && invite.contains("5.5.5.1:"),
        "{invite}"
    );
    assert!(invite.len() <= 200, "{invite}");
    assert!(
        reach["landing"]
            .as_str()
            .unwrap()
            .starts_with("http://5.5.5.1:"),
        "{reach}"
    );
    // A friend on Syncplay is pointed at the same public address.
    let landing = reach["landing"].as_str().unwrap();
    let server = reach["syncplay"]["server"].as_str().unwrap();
    assert!(
        server.starts_with("5.5.5.1:") && landing.starts_with(&format!("http://{server}/")),
        "{reach}"
    );
    assert_eq!(lab.mappings().len(), 1, "one port forwarded");

    let mut friend = lab.friend(&invite, &film);
    let room = friend_in(&mut friend).await;
    assert!(
        room["relay"]
            .as_str()
            .unwrap()
            .starts_with("wss://5.5.5.1:"),
        "the public candidate won: {room}"
    );
    host.until(|v| v["type"] == "notice" && v["text"] == "Ben joined")
        .await;
    host.type_line("start!").await;
    friend
        .until(|v| v["type"] == "status" && v["status"] == "synced")
        .await;
    // Steady play from 5 s on: the friend's measured drift over 8 s.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut drifts = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(8);
    while tokio::time::Instant::now() < until {
        let Ok(Some(v)) = tokio::time::timeout(Duration::from_secs(2), friend.next()).await else {
            continue;
        };
        if v["type"] == "drift" {
            drifts.push(v["drift_ms"].as_f64().unwrap().abs());
        }
    }
    assert!(drifts.len() >= 8, "drift reported: {drifts:?}");
    // The figures are printed (the benchmark judges accuracy); the test asks
    // that the friend is in step most of the time, which a hiccup of the
    // shared machine does not change.
    let median = matinee_testkit::stats::percentile(&drifts, 0.5).unwrap();
    let p95 = matinee_testkit::stats::percentile(&drifts, 0.95).unwrap();
    eprintln!(
        "friend's drift over the mapped port: median {median:.1} ms, p95 {p95:.1} ms over {} samples",
        drifts.len()
    );
    assert!(median <= 20.0, "median drift {median} ms: {drifts:?}");

    // A friend on Syncplay, on the internet side, joins through the same
    // mapped port with the server and room the host printed, and plays.
    let room_code = reach["syncplay"]["room"].as_str().unwrap();
    let mpv = matinee_mpv::locate(None).expect("mpv").path;
    let cy = matinee_testkit::syncplay::SyncplayClient::start_in(
        Some(&lab.ns("inet")),
        server,
        room_code,
        "Cy",
        std::path::Path::new(&film),
        &mpv,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    host.until(|v| v["type"] == "notice" && v["text"] == "Cy joined")
        .await;
    let cy_player = matinee_mpv::MpvClient::connect(&cy.mpv_socket().display().to_string())
        .await
        .unwrap();
    let playing_by = tokio::time::Instant::now() + Duration::from_secs(15);
    while cy_player.state().borrow().pause {
        assert!(
            tokio::time::Instant::now() < playing_by,
            "Cy's player plays with the room; Syncplay said:\n{}",
            cy.transcript()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(cy);

    friend.quit().await;
    host.quit().await;
    lab.assert_no_mappings("mapping removed on quit");
}

/// (b) UPnP off, NAT-PMP and PCP on.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn nat_pmp_or_pcp_alone_opens_the_port() {
    let lab = Lab::up("b", "natpmp");
    let film = film();
    let mut host = lab.host(&film);
    let reach = settled_reach(&mut host).await;
    assert_eq!(reach["reach"]["kind"], "anywhere", "{reach}");
    let method = reach["reach"]["method"].as_str().unwrap();
    assert!(method == "PCP" || method == "NAT-PMP", "{method}");
    let mut friend = lab.friend(&invite_of(&reach), &film);
    friend_in(&mut friend).await;
    friend.quit().await;
    host.quit().await;
    lab.assert_no_mappings("mapping removed on quit");
}

/// (c) The router refuses: the host hears "only your network", the invite
/// has no public address, and the friend's error says why.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn a_refused_mapping_is_said_plainly_to_host_and_friend() {
    let lab = Lab::up("c", "refuse");
    let film = film();
    let mut host = lab.host(&film);
    let reach = settled_reach(&mut host).await;
    assert_eq!(reach["reach"]["kind"], "local_network", "{reach}");
    assert!(reach["reach"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Only your network can reach you: the router refused port mapping"));
    let invite = invite_of(&reach);
    assert!(!invite.contains("5.5.5.1"), "{invite}");
    let (ok, error) = lab.friend(&invite, &film).ended().await;
    assert!(!ok);
    let error = error.expect("an error line");
    assert!(
        error.contains("10.77.0.2")
            && error.contains("only has addresses inside the host's own network"),
        "{error}"
    );
    host.quit().await;
}

/// The router refuses, but the home has global IPv6 (routed, no NAT):
/// friends with IPv6 can join, through that address.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn global_ipv6_lets_friends_in_when_no_port_is_mapped() {
    let lab = Lab::up("6", "refuse6");
    let film = film();
    let mut host = lab.host(&film);
    let reach = settled_reach(&mut host).await;
    assert_eq!(reach["reach"]["kind"], "ipv6", "{reach}");
    let message = reach["reach"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Friends with IPv6 can join ([2001:db8:77::2]:"),
        "{message}"
    );
    let invite = invite_of(&reach);
    assert!(invite.contains("%5B2001:db8:77::2%5D:"), "{invite}");
    let mut friend = lab.friend(&invite, &film);
    let room = friend_in(&mut friend).await;
    assert!(
        room["relay"]
            .as_str()
            .unwrap()
            .starts_with("wss://[2001:db8:77::2]:"),
        "{room}"
    );
    friend.quit().await;
    host.quit().await;
}

/// (d) Carrier-grade NAT: the router's own address is 100.64.0.2.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn carrier_grade_nat_is_recognised() {
    let lab = Lab::up("d", "cgnat");
    let film = film();
    let mut host = lab.host(&film);
    let reach = settled_reach(&mut host).await;
    assert_eq!(reach["reach"]["kind"], "carrier_nat", "{reach}");
    assert!(reach["reach"]["message"]
        .as_str()
        .unwrap()
        .contains("carrier-grade NAT"));
    assert!(!invite_of(&reach).contains("5.5.5.1"));
    host.quit().await;
}

/// (e) A man in the middle: the invite's public address leads to another
/// relay with its own certificate. Refused; the impostor never sees the
/// friend's hello.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn another_relay_in_the_way_is_refused_before_anything_is_sent() {
    let lab = Lab::up("e", "upnp");
    let film = film();
    let mut host = lab.host(&film);
    let reach = settled_reach(&mut host).await;
    let invite = invite_of(&reach);
    let public = reach["reach"]["public"].as_str().unwrap().to_string();
    let mut impostor = Cli::spawn_in(
        Some(&lab.ns("inet")),
        &[
            "host",
            &film,
            "--listen",
            "5.5.5.2:7979",
            "--nickname",
            "Eve",
            "--headless",
            "--json",
        ],
    );
    impostor.until(|v| v["type"] == "room").await;
    let forged = invite.replace(&public, "5.5.5.2:7979");
    assert_ne!(forged, invite);
    let (ok, error) = lab.friend(&forged, &film).ended().await;
    assert!(!ok);
    let error = error.expect("an error line");
    assert!(error.contains("is not your host's relay"), "{error}");
    assert!(error.contains("nothing was sent"), "{error}");
    // The impostor's room saw nobody.
    let _ = tokio::time::timeout(Duration::from_secs(2), impostor.until(|_| false)).await;
    assert!(
        !impostor.seen.iter().any(|v| v.to_string().contains("Ben")),
        "{:?}",
        impostor.seen
    );
    host.quit().await;
}

/// A host killed with SIGKILL leaves its mapping on the router; the next
/// start takes it back (PCP: the same mapping; UPnP: the one recorded is
/// removed first), so there is never a second one, and quitting then
/// removes it.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn a_mapping_left_by_a_crash_is_taken_back_by_the_next_start() {
    crash_then_restart("g", "upnp", "PCP").await;
    crash_then_restart("u", "upnponly", "UPnP").await;
}

async fn crash_then_restart(case: &str, mode: &str, method: &str) {
    let lab = Lab::up(case, mode);
    let film = film();
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let host = |lab: &Lab| {
        Cli::spawn_in(
            Some(&lab.ns("home")),
            &[
                "host",
                &film,
                "--nickname",
                "Ana",
                "--headless",
                "--json",
                "--state-dir",
                state_dir,
            ],
        )
    };
    let mut first = host(&lab);
    let reach = settled_reach(&mut first).await;
    assert_eq!(reach["reach"]["kind"], "anywhere", "{reach}");
    assert_eq!(reach["reach"]["method"], method, "{reach}");
    first.child.kill().await.unwrap();
    assert_eq!(lab.mappings().len(), 1, "the crash left its mapping");

    let mut second = host(&lab);
    let reach = settled_reach(&mut second).await;
    assert_eq!(reach["reach"]["kind"], "anywhere", "{reach}");
    assert_eq!(lab.mappings().len(), 1, "taken back, not doubled");
    second.quit().await;
    lab.assert_no_mappings("nothing left");
}

/// matinee-cli in the lab's namespace `ns`, trusting the lab relay's
/// certificate authority when it has one (the stand-in for the web's).
fn cli_in(lab: &Lab, relay: Option<&IrohRelay>, ns: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("ip");
    command.args([
        "netns",
        "exec",
        &lab.ns(ns),
        env!("CARGO_BIN_EXE_matinee-cli"),
    ]);
    if let Some(ca) = relay.and_then(|r| r.ca.as_ref()) {
        command.env(matinee_p2p::RELAY_CA_ENV, ca);
    }
    command
}

/// Ana hosts in the home, with the lab's iroh relay as hers when given.
fn lab_host(lab: &Lab, relay: Option<&IrohRelay>, film: &str) -> Cli {
    let mut command = cli_in(lab, relay, "home");
    if let Some(r) = relay {
        command.env(matinee_p2p::RELAY_ENV, &r.url);
    }
    Cli::spawn_command(
        command,
        &["host", film, "--nickname", "Ana", "--headless", "--json"],
    )
}

/// Ben joins from `ns` with only the invite (no settings): his process,
/// his room line, and the time from opening the invite to that line.
async fn ben_joins(
    lab: &Lab,
    relay: Option<&IrohRelay>,
    ns: &str,
    invite: &str,
    film: &str,
) -> (Cli, Value, Duration) {
    let opened = std::time::Instant::now();
    let mut friend = Cli::spawn_command(cli_in(lab, relay, ns), &ben(invite, film));
    let room = friend_in(&mut friend).await;
    let took = opened.elapsed();
    (friend, room, took)
}

/// The friend's drift in steady play: `secs` seconds of drift lines, from
/// 5 s after the start.
async fn steady_drift(friend: &mut Cli, secs: u64) -> Vec<f64> {
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut drifts = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < until {
        let Ok(Some(v)) = tokio::time::timeout(Duration::from_secs(2), friend.next()).await else {
            continue;
        };
        if v["type"] == "drift" {
            drifts.push(v["drift_ms"].as_f64().unwrap().abs());
        }
    }
    drifts
}

/// Ben's link in the host's latest participant list, if shown.
fn link_of_ben(line: &Value) -> Option<String> {
    if line["type"] != "participants" {
        return None;
    }
    line["participants"]
        .as_array()?
        .iter()
        .find(|p| p["nickname"] == "Ben")
        .and_then(|p| p["link"].as_str())
        .map(str::to_string)
}

/// A host whose router cannot let friends in (`mode`), a friend in another
/// home behind NAT (`friend`), an iroh relay on the internet: the friend
/// joins with only the invite the host printed, peer-to-peer, and both
/// play in step. Returns how the path ended up ("peer_to_peer" when a
/// hole was punched, else "relayed").
async fn joins_peer_to_peer(
    case: &str,
    mode: &str,
    friend_home: &str,
    router_kind: &str,
    tls: bool,
    expect_direct: bool,
    udp_later: bool,
) {
    let lab = Lab::up_with(case, mode, &[friend_home]);
    let relay = IrohRelay::start(&lab, tls);
    let film = film();
    let mut host = lab_host(&lab, Some(&relay), &film);
    let reach = host
        .until_within(Duration::from_secs(30), |v| {
            v["type"] == "reachability" && v["reach"]["kind"] == "peer_to_peer"
        })
        .await;
    let message = reach["reach"]["message"].as_str().unwrap();
    let relay_host = relay.url.split_once("://").unwrap().1;
    assert!(
        message.starts_with("Friends anywhere can join (peer-to-peer, since ")
            && message.contains(&format!("through {relay_host}")),
        "{message}"
    );
    assert_eq!(reach["reach"]["router"]["kind"], router_kind, "{reach}");
    let invite = invite_of(&reach);
    assert!(
        invite.contains("&id=") && invite.contains(&format!("&pr={}", relay.url)),
        "{invite}"
    );

    // The friend has no settings: only the invite (and, with TLS, the
    // lab's stand-in for the web's certificate authorities).
    let (mut friend, room, joined_in) =
        ben_joins(&lab, Some(&relay), "fhome", &invite, &film).await;
    let opened = std::time::Instant::now() - joined_in;
    assert!(
        room["relay"].as_str().unwrap().starts_with("p2p://"),
        "the peer-to-peer candidate won: {room}"
    );
    host.until(|v| v["type"] == "notice" && v["text"] == "Ben joined")
        .await;
    // How the host sees Ben's connection: through the iroh relay first,
    // then (with UDP) direct once iroh punched a hole through both NATs.
    // Watched for `watch` (the lists come each second).
    let watch = if expect_direct { 30 } else { 8 };
    let watch_until = tokio::time::Instant::now() + Duration::from_secs(watch);
    let mut link = None;
    let mut direct_after = None;
    let mut i = 0;
    while tokio::time::Instant::now() < watch_until && direct_after.is_none() {
        let v = if i < host.seen.len() {
            i += 1;
            host.seen[i - 1].clone()
        } else {
            match tokio::time::timeout(Duration::from_secs(1), host.next()).await {
                Ok(Some(v)) => {
                    i = host.seen.len();
                    v
                }
                _ => continue,
            }
        };
        if let Some(l) = link_of_ben(&v) {
            if l == "peer_to_peer" {
                direct_after = Some(opened.elapsed());
            }
            link = Some(l);
        }
    }
    let link = link.expect("the host's list shows Ben's link");
    if expect_direct {
        assert_eq!(link, "peer_to_peer", "a hole was punched within {watch} s");
    } else {
        assert_eq!(link, "relayed", "no UDP: no direct path");
    }
    host.type_line("start!").await;
    friend
        .until(|v| v["type"] == "status" && v["status"] == "synced")
        .await;
    let drifts = steady_drift(&mut friend, 8).await;
    assert!(drifts.len() >= 8, "drift reported: {drifts:?}");
    let median = matinee_testkit::stats::percentile(&drifts, 0.5).unwrap();
    let p95 = matinee_testkit::stats::percentile(&drifts, 0.95).unwrap();
    assert!(median <= 20.0, "median drift {median} ms: {drifts:?}");
    eprintln!(
        "{case} ({mode}, friend {friend_home}): joined in {:.1} s; path {link}{}; drift median {median:.1} ms, p95 {p95:.1} ms over {} samples",
        joined_in.as_secs_f64(),
        direct_after.map_or(String::new(), |t| format!(" (direct within {:.1} s)", t.as_secs_f64())),
        drifts.len()
    );
    if udp_later {
        path_turns_direct_mid_film(&lab, &mut host, &mut friend).await;
    }
    friend.quit().await;
    host.quit().await;
    drop(relay);
}

/// UDP comes back while the film plays through the iroh relay: iroh
/// punches a hole and moves the connection onto it. Nobody's player
/// seeks, the link never drops, and the friend stays in step.
async fn path_turns_direct_mid_film(lab: &Lab, host: &mut Cli, friend: &mut Cli) {
    let from = friend.seen.len();
    lab.netlab("udp", &["allow"]);
    let allowed = std::time::Instant::now();
    host.until_within(Duration::from_secs(60), |v| {
        link_of_ben(v).as_deref() == Some("peer_to_peer")
    })
    .await;
    let took = allowed.elapsed();
    let drifts = steady_drift(friend, 5).await;
    let median = matinee_testkit::stats::percentile(&drifts, 0.5).unwrap();
    let heard = &friend.seen[from..];
    let seeks: Vec<_> = heard
        .iter()
        .filter(|v| v["type"] == "status" && v["status"] == "seeking")
        .collect();
    let drops: Vec<_> = heard
        .iter()
        .filter(|v| v["type"] == "connection" && v["connection"]["state"] != "connected")
        .collect();
    assert!(seeks.is_empty(), "no seek when the path changes: {seeks:?}");
    assert!(drops.is_empty(), "the link never dropped: {drops:?}");
    assert!(
        median <= 20.0,
        "median drift {median} ms after the switch: {drifts:?}"
    );
    eprintln!(
        "mid-film: direct {:.1} s after UDP came back; drift median {median:.1} ms after",
        took.as_secs_f64()
    );
}

/// (f) Carrier-grade NAT in front of the host, a friend behind a home NAT:
/// in through the iroh relay, then direct (a hole punched through both
/// NATs: the relay's QUIC address discovery told each its public address).
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn a_friend_joins_a_host_behind_carrier_grade_nat_peer_to_peer() {
    joins_peer_to_peer("p", "cgnat", "nat", "carrier_nat", true, true, false).await;
}

/// (g) The same, with UDP dropped by the friend's router: QUIC cannot pass
/// at all, so everything goes through the iroh relay (over TCP). Then UDP
/// comes back mid-film: the connection moves onto a punched hole, and
/// nobody notices.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn with_udp_blocked_the_friend_joins_through_the_iroh_relay() {
    joins_peer_to_peer("q", "cgnat", "nat-noudp", "carrier_nat", true, false, true).await;
}

/// (h) A router with no port mapping service at all.
#[tokio::test]
#[ignore = "needs root and network namespaces (scripts/test runs it)"]
async fn a_friend_joins_a_host_whose_router_maps_no_port() {
    joins_peer_to_peer("r", "none", "nat", "local_network", true, true, false).await;
}

/// One row of the reach benchmark: time from opening the invite to being
/// in the room, and drift over `play` seconds of steady play.
struct PathFigures {
    path: &'static str,
    joined: Duration,
    median: f64,
    p95: f64,
    samples: usize,
}

/// A host behind `mode`, a friend in `friend_ns` (after `friend_home`
/// made their home), and with `iroh` an iroh relay (TLS when true).
async fn measure_path(
    path: &'static str,
    case: &str,
    mode: &str,
    friend_home: Option<&str>,
    friend_ns: &str,
    iroh: Option<bool>,
    play: u64,
) -> PathFigures {
    let extra: Vec<&str> = friend_home.into_iter().collect();
    let lab = Lab::up_with(case, mode, &extra);
    let relay = iroh.map(|tls| IrohRelay::start(&lab, tls));
    let film = film();
    let mut host = lab_host(&lab, relay.as_ref(), &film);
    let reach = host
        .until_within(Duration::from_secs(30), |v| {
            v["type"] == "reachability"
                && matches!(
                    v["reach"]["kind"].as_str(),
                    Some("anywhere" | "peer_to_peer")
                )
        })
        .await;
    let invite = invite_of(&reach);
    let (mut friend, _, joined) = ben_joins(&lab, relay.as_ref(), friend_ns, &invite, &film).await;
    host.until(|v| v["type"] == "notice" && v["text"] == "Ben joined")
        .await;
    if path == "P2P direct" {
        host.until_within(Duration::from_secs(30), |v| {
            link_of_ben(v).as_deref() == Some("peer_to_peer")
        })
        .await;
    }
    host.type_line("start!").await;
    friend
        .until(|v| v["type"] == "status" && v["status"] == "synced")
        .await;
    let drifts = steady_drift(&mut friend, play).await;
    let figures = PathFigures {
        path,
        joined,
        median: matinee_testkit::stats::percentile(&drifts, 0.5).unwrap_or(f64::NAN),
        p95: matinee_testkit::stats::percentile(&drifts, 0.95).unwrap_or(f64::NAN),
        samples: drifts.len(),
    };
    friend.quit().await;
    host.quit().await;
    drop(relay);
    figures
}

/// The reach benchmark (`scripts/bench-paths`, not part of the tests):
/// each way a friend reaches a host, measured in the namespace lab.
#[tokio::test]
#[ignore = "a benchmark: scripts/bench-paths runs it"]
async fn bench_paths() {
    let play = std::env::var("MATINEE_BENCH_PLAY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let rows = [
        measure_path("LAN", "bl", "upnp", None, "home", None, play).await,
        measure_path("mapped port", "bm", "upnp", None, "inet", None, play).await,
        measure_path(
            "P2P direct",
            "bd",
            "cgnat",
            Some("nat"),
            "fhome",
            Some(true),
            play,
        )
        .await,
        measure_path(
            "P2P relayed",
            "br",
            "cgnat",
            Some("nat-noudp"),
            "fhome",
            Some(true),
            play,
        )
        .await,
    ];
    // (After the harness's "test bench_paths ... ", on a line of its own.)
    println!();
    println!("| path | invite to room | drift median | drift p95 | samples |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.2} s | {:.1} ms | {:.1} ms | {} |",
            r.path,
            r.joined.as_secs_f64(),
            r.median,
            r.p95,
            r.samples
        );
    }
}
