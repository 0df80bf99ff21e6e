//! Late joins: another client builds a tree of each awkward shape, then scpanel joins and reads
//! it (run: `scripts/bench.sh --bench late_join`). Per shape: a window's join (log in, read the
//! whole tree with controls into the live mirror), `scpanel tree --login` (read without
//! controls, logged in) and `scpanel tree` (watch-only). Then, on the server scpanel booted,
//! SynthDef names read from the server's printout of its tree (`/g_dumpTree`) for flat
//! running groups too big to list with names (`SCPANEL_BENCH_PRINTOUT_ONLY=1` runs only these).

#[path = "../tests/common/shapes.rs"]
mod shapes;

use std::time::Instant;

use rosc::{OscMessage, OscType};
use scpanel_core::machine as transport;
use scpanel_core::{AddAction, ConnectOptions, Options, Server, client_address, osc::bundle_of};

const RUNS: usize = 5;

fn options() -> Options {
    shapes::big(Options {
        port: transport::find_free_port().expect("free port"),
        input_channels: 2,
        output_channels: 2,
        max_logins: 4,
        load_synthdefs: false,
        ..Options::default()
    })
}

fn median(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "median {:7.1} ms (min {:.1}, max {:.1})",
        v[v.len() / 2],
        v[0],
        v[v.len() - 1]
    )
}

async fn connect(addr: std::net::SocketAddr, login: bool, monitor: bool) -> Server {
    let guest = Server::new();
    let mut o = ConnectOptions::new(addr);
    o.login = login;
    o.monitor = monitor;
    guest.connect(o).await.expect("connect");
    guest
}

async fn shape(which: usize) {
    let owner = Server::new();
    owner.boot(options()).await.expect("boot");
    let o = owner.options();
    let addr = client_address(&o.bind_address, o.port);
    let (holder, expected) = shapes::build(&owner, which).await;
    let (mut join, mut login_read, mut watch_read) = (Vec::new(), Vec::new(), Vec::new());
    let mut complete = true;
    let mut walked = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let guest = connect(addr, true, true).await;
        join.push(t.elapsed().as_secs_f64() * 1000.0);
        let got = guest.with_tree(|t| shapes::found(t, holder));
        assert_eq!(got.len(), expected.len(), "{}", shapes::SHAPES[which]);
        guest.disconnect().await.expect("disconnect");

        let guest = connect(addr, true, false).await;
        let t = Instant::now();
        let read = guest.read_tree(0, false).await.expect("read");
        login_read.push(t.elapsed().as_secs_f64() * 1000.0);
        walked = read.node_queries;
        assert_eq!(shapes::found(&read.tree, holder).len(), expected.len());
        guest.disconnect().await.expect("disconnect");

        let guest = connect(addr, false, false).await;
        let t = Instant::now();
        let read = guest.read_tree(0, false).await.expect("read");
        watch_read.push(t.elapsed().as_secs_f64() * 1000.0);
        complete = read.is_complete();
        guest.disconnect().await.expect("disconnect");
    }
    println!("{}:", shapes::SHAPES[which]);
    println!(
        "  window join (log in, tree with controls): {}",
        median(join)
    );
    println!(
        "  tree --login:                             {} ({walked} /n_query)",
        median(login_read)
    );
    println!(
        "  tree (watch-only):                        {} ({})",
        median(watch_read),
        if complete {
            "complete"
        } else {
            "names the groups too big to list"
        }
    );
    owner.quit(false).await.expect("quit");
}

/// A running group of `n` paused synths of a 15-character SynthDef, made by the owner with
/// plain `/s_new`s (its mirror learns no names from those), then: the owner's `read_tree`
/// and a printout read on its own.
async fn owned(n: usize) {
    let owner = Server::new();
    owner.boot(options()).await.expect("boot");
    owner
        .synthdefs()
        .send_builtin(shapes::LONG_DEF)
        .await
        .expect("SynthDef");
    let group = owner
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("group");
    let start = owner.client_ranges().expect("logged in").nodes.start + 100_000;
    let ids: Vec<i32> = (0..n as i32).map(|i| start + i).collect();
    let mut msgs = Vec::new();
    for &id in &ids {
        msgs.push(OscMessage {
            addr: "/s_new".into(),
            args: vec![
                OscType::String(shapes::LONG_DEF.into()),
                OscType::Int(id),
                OscType::Int(1),
                OscType::Int(group),
            ],
        });
        msgs.push(OscMessage {
            addr: "/n_run".into(),
            args: vec![OscType::Int(id), OscType::Int(0)],
        });
    }
    for chunk in msgs.chunks(400) {
        owner
            .send_checked(bundle_of(chunk.to_vec()))
            .await
            .expect("build");
    }
    let (mut reads, mut printouts) = (Vec::new(), Vec::new());
    let mut from_printout = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let read = owner.read_tree(0, false).await.expect("read");
        reads.push(t.elapsed().as_secs_f64() * 1000.0);
        from_printout = from_printout.max(read.named_from_printout);
        let t = Instant::now();
        let names = owner.nodes().names_from_printout(&ids).await;
        printouts.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(names.len(), n, "every synth named");
    }
    println!("owned server, a running group of {n} synths of a 15-character SynthDef:");
    println!(
        "  read_tree (names: mirror or printout):    {} ({from_printout} named from a printout)",
        median(reads)
    );
    println!(
        "  printout alone (/g_dumpTree 0 0):         {}",
        median(printouts)
    );
    owner.quit(false).await.expect("quit");
}

fn main() {
    if std::env::var_os("JACK_DEFAULT_SERVER").is_none() {
        eprintln!("run the benchmarks with scripts/bench.sh (it starts a JACK server)");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        if std::env::var_os("SCPANEL_BENCH_PRINTOUT_ONLY").is_none() {
            for which in 0..shapes::SHAPES.len() {
                shape(which).await;
            }
        }
        for n in [3000, 20_000] {
            owned(n).await;
        }
    });
}
