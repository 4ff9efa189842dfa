//! The command language of the interaction scripts: each datadriven directive is parsed here
//! and run against the `Env`. The list with every argument is in
//! `sim/tests/testdata/interaction/README.md`.

use crate::harness::{Disk, Env, Packet};
use crate::render::parse_timer;
use datadriven::TestCase;
use std::fmt::Display;
use std::str::FromStr;
use zabsim_protocol::{DurableState, Epoch, Input, NodeId, ProtocolConfig, Txn, Zxid};
use zabsim_sim::format_time;

/// Runs one directive; `env` is created by `add-servers` and lives for the rest of the file.
pub fn run(env: &mut Option<Env>, case: &mut TestCase) -> Result<String, String> {
    if case.directive == "add-servers" {
        let built = add_servers(case)?;
        done_with_args(case)?;
        *env = Some(built);
        return Ok(print_states(env.as_ref().expect("just built")));
    }
    if case.directive == "sim" {
        let text = crate::simcmd::run(case)?;
        done_with_args(case)?;
        return Ok(text);
    }
    let env = env.as_mut().ok_or("no servers: start the file with add-servers")?;
    env.out.clear();
    env.verbose = !flag(case, "quiet")?;
    match case.directive.as_str() {
        "start" => {
            for id in nodes_arg(env, case)? {
                if env.started[id.index()] {
                    return Err(format!("{id} is already started"));
                }
                env.started[id.index()] = true;
                env.step(id, Input::Start);
            }
        }
        "deliver" => deliver(env, case)?,
        "drop" => {
            let from = opt_id(env, case, "from")?;
            let to = opt_id(env, case, "to")?;
            let mut left = arg::<usize>(case, "count")?.unwrap_or(usize::MAX);
            for (f, t) in pairs(env, from, to) {
                while left > 0 {
                    let Some(text) = env.drop_one(f, t) else { break };
                    env.say(format!("dropped {f}->{t} {text}"));
                    left -= 1;
                }
            }
        }
        "stabilize" => {
            let slow = args::<u8>(case, "no-fsync")?;
            let slow = slow.into_iter().map(|id| env.check_id(id)).collect::<Result<Vec<_>, _>>()?;
            stabilize(env, &slow)?
        }
        "fsync" => {
            let named = nodes_list(env, case)?;
            let through = arg::<u64>(case, "through")?;
            let all = named.is_empty();
            if through.is_some() && named.len() != 1 {
                return Err("fsync through=... needs exactly one node".into());
            }
            for id in if all { env.ids() } else { named } {
                if !env.fsync(id, through) && !all {
                    env.say(format!("{id}: nothing to fsync"));
                }
            }
        }
        "connect" => {
            let learner = opt_id(env, case, "node")?;
            let refuse = flag(case, "refuse")?;
            env.resolve_connect(learner, refuse)?;
        }
        "disconnect" => {
            let a = env.check_id(req(case, "from")?)?;
            let b = env.check_id(req(case, "to")?)?;
            env.disconnect(a, b)?;
        }
        "fire-timer" => {
            let among = nodes_list(env, case)?;
            let kind = arg::<String>(case, "kind")?.map(|k| parse_timer(&k)).transpose()?;
            match (kind, among.as_slice()) {
                (Some(kind), [id]) => env.fire(*id, kind)?,
                (Some(_), _) => return Err("fire-timer kind=... needs exactly one node".into()),
                (None, _) => {
                    let (id, kind, _) = env.next_timer(&among).ok_or("no timer is set")?;
                    env.fire(id, kind)?;
                }
            }
        }
        "advance" => {
            let ms: u64 = req(case, "ms")?;
            env.now_us += ms * 1000;
            env.say(format!("clock {}", format_time(env.now_us)));
        }
        "crash" => {
            for id in nodes_arg(env, case)? {
                env.crash(id)?;
            }
        }
        "restart" => {
            for id in nodes_arg(env, case)? {
                env.restart(id)?;
            }
        }
        "write" => {
            let id = env.check_id(req(case, "node")?)?;
            let value: u64 = req(case, "value")?;
            env.step(id, Input::ClientWrite { value });
        }
        "print-states" => {
            done_with_args(case)?;
            return Ok(print_states(env));
        }
        "print-log" => {
            for id in nodes_arg(env, case)? {
                print_log(env, id);
            }
        }
        "print-pending" => print_pending(env),
        other => return Err(format!("unknown command '{other}' (see testdata/interaction/README.md)")),
    }
    done_with_args(case)?;
    if env.out.is_empty() {
        env.say("ok");
    }
    Ok(std::mem::take(&mut env.out))
}

// ----- commands ----------------------------------------------------------------------------------

fn add_servers(case: &mut TestCase) -> Result<Env, String> {
    let n: u8 = req(case, "n")?;
    let mut config = ProtocolConfig::default();
    for name in args::<String>(case, "variant")? {
        config.variants.enable(&name)?;
    }
    let knobs: [(&str, &mut u32); 9] = [
        ("tick", &mut config.tick_time_ms),
        ("init-limit", &mut config.init_limit_ticks),
        ("sync-limit", &mut config.sync_limit_ticks),
        ("finalize-wait", &mut config.finalize_wait_ms),
        ("min-notification", &mut config.min_notification_interval_ms),
        ("max-notification", &mut config.max_notification_interval_ms),
        ("connect-attempts", &mut config.leader_connect_attempts),
        ("connect-delay", &mut config.leader_connect_delay_ms),
        ("commit-log-count", &mut config.commit_log_count),
    ];
    for (name, field) in knobs {
        if let Some(v) = arg::<u32>(case, name)? {
            *field = v;
        }
    }
    config.validate()?;
    let mut disks = vec![DurableState::default(); n as usize];
    for line in case.input.lines().filter(|l| !l.trim().is_empty()) {
        let (id, disk) = parse_disk(line)?;
        let slot = disks.get_mut((id as usize).wrapping_sub(1)).ok_or(format!("no server s{id} among {n}"))?;
        *slot = disk;
    }
    Ok(Env::new(config, disks))
}

/// `s2 accepted=2 current=1 log=1:1,1:2`: a server's disk before it starts. Txn values are
/// `epoch*1000 + counter`, so a value names the txn it was written as.
fn parse_disk(line: &str) -> Result<(u8, DurableState), String> {
    let mut words = line.split_whitespace();
    let id = words.next().and_then(|w| w.strip_prefix('s')).and_then(|w| w.parse::<u8>().ok());
    let id = id.ok_or(format!("disk line '{line}': expected it to start with a server like s1"))?;
    let mut disk = DurableState::default();
    for word in words {
        let (key, value) = word.split_once('=').ok_or(format!("disk line '{line}': expected key=value, got {word}"))?;
        let num = |v: &str| v.parse::<u32>().map_err(|_| format!("disk line '{line}': bad number '{v}'"));
        match key {
            "accepted" => disk.accepted_epoch = Epoch(num(value)?),
            "current" => disk.current_epoch = Epoch(num(value)?),
            "log" => {
                for z in value.split(',') {
                    let (e, c) = z.split_once(':').ok_or(format!("disk line '{line}': bad zxid '{z}'"))?;
                    let (e, c) = (num(e)?, num(c)?);
                    disk.log.push(Txn::opaque(Zxid::new(Epoch(e), c), e as u64 * 1000 + c as u64));
                }
            }
            other => return Err(format!("disk line '{line}': unknown key '{other}' (accepted, current, log)")),
        }
    }
    Ok((id, disk))
}

fn deliver(env: &mut Env, case: &mut TestCase) -> Result<(), String> {
    let from = opt_id(env, case, "from")?;
    let to = opt_id(env, case, "to")?;
    let mut left = arg::<usize>(case, "count")?.unwrap_or(usize::MAX);
    // Only what is queued now: replies wait for the next command.
    let plan: Vec<(NodeId, NodeId, usize)> =
        pairs(env, from, to).into_iter().map(|(f, t)| (f, t, env.queued(f.0, t.0))).collect();
    for (f, t, queued) in plan {
        for _ in 0..queued.min(left) {
            env.deliver_one(f, t);
            left -= 1;
        }
    }
    Ok(())
}

/// Delivers, fsyncs (except on the `slow` servers' disks) and resolves connection attempts in
/// rounds until nothing moves; timers never fire.
fn stabilize(env: &mut Env, slow: &[NodeId]) -> Result<(), String> {
    for _ in 0..10_000 {
        if !env.busy(slow) {
            return Ok(());
        }
        let plan: Vec<(NodeId, NodeId, usize)> =
            pairs(env, None, None).into_iter().map(|(f, t)| (f, t, env.queued(f.0, t.0))).collect();
        for (f, t, queued) in plan {
            for _ in 0..queued {
                env.deliver_one(f, t);
            }
        }
        for id in env.ids() {
            if !slow.contains(&id) {
                env.fsync(id, None);
            }
        }
        while !env.connecting.is_empty() {
            env.resolve_connect(None, false)?;
        }
    }
    Err("stabilize did not settle after 10000 rounds".into())
}

fn print_states(env: &Env) -> String {
    let mut text = String::new();
    for id in env.ids() {
        let line = match &env.nodes[id.index()] {
            None => format!("{id} DOWN"),
            Some(_) if !env.started[id.index()] => format!("{id} not started"),
            Some(node) => match node.proposal() {
                Some(vote) => format!("{} proposal={vote}", node.describe()),
                None => node.describe(),
            },
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn print_log(env: &mut Env, id: NodeId) {
    let Disk { durable, pending } = env.disks[id.index()].clone();
    let log: Vec<String> = durable.log.iter().map(|t| t.to_string()).collect();
    env.say(format!(
        "{id} durable: accepted={} current={} log=[{}]",
        durable.accepted_epoch,
        durable.current_epoch,
        log.join(" ")
    ));
    for (w, write) in &pending {
        env.say(format!("{id} pending: w{w} {write}"));
    }
    if let Some(node) = &env.nodes[id.index()] {
        let delivered: Vec<String> = node.delivered().iter().map(|t| t.to_string()).collect();
        env.say(format!("{id} delivered: [{}]", delivered.join(" ")));
    }
}

fn print_pending(env: &mut Env) {
    let mut lines = Vec::new();
    for ((f, t), q) in &env.queues {
        for p in q {
            match p {
                Packet::Msg { msg, .. } => lines.push(format!("s{f}->s{t} {msg}")),
                Packet::Fin { .. } => lines.push(format!("s{f}->s{t} FIN")),
            }
        }
    }
    for id in env.ids() {
        for (send, _) in &env.held[id.index()] {
            let w = send.after_write.map(|w| format!("w{w}")).unwrap_or_default();
            lines.push(format!("{id} held until {w}: send {} {}", send.to, send.msg));
        }
        for (w, write) in &env.disks[id.index()].pending {
            lines.push(format!("{id} disk: w{w} {write}"));
        }
        for kind in zabsim_protocol::TimerKind::ALL {
            if let Some(at) = env.timers[id.index()][kind.index()] {
                lines.push(format!("{id} timer {} at {}", kind.name(), format_time(at)));
            }
        }
    }
    for (l, leader) in &env.connecting {
        lines.push(format!("s{l} connecting to s{leader}"));
    }
    if lines.is_empty() {
        lines.push("nothing pending".into());
    }
    for line in lines {
        env.say(line);
    }
}

// ----- argument helpers --------------------------------------------------------------------------

/// Every (from, to) pair matching the optional filters, in (from, to) order.
fn pairs(env: &Env, from: Option<NodeId>, to: Option<NodeId>) -> Vec<(NodeId, NodeId)> {
    let mut out = Vec::new();
    for f in env.ids() {
        for t in env.ids() {
            if from.is_none_or(|x| x == f) && to.is_none_or(|x| x == t) {
                out.push((f, t));
            }
        }
    }
    out
}

fn err(e: impl Display) -> String {
    e.to_string()
}

fn flag(case: &mut TestCase, name: &str) -> Result<bool, String> {
    case.take_flag(name).map_err(err)
}

fn arg<T>(case: &mut TestCase, name: &str) -> Result<Option<T>, String>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    case.try_take_arg(name).map_err(err)
}

fn req<T>(case: &mut TestCase, name: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    arg(case, name)?.ok_or(format!("{}: missing {name}=...", case.directive))
}

fn args<T>(case: &mut TestCase, name: &str) -> Result<Vec<T>, String>
where
    T: FromStr,
    T::Err: std::error::Error + Send + 'static,
{
    Ok(case.try_take_args(name).map_err(err)?.unwrap_or_default())
}

fn opt_id(env: &Env, case: &mut TestCase, name: &str) -> Result<Option<NodeId>, String> {
    arg::<u8>(case, name)?.map(|id| env.check_id(id)).transpose()
}

/// `node=1` or `nodes=(1,2)`; empty when neither is given.
fn nodes_list(env: &Env, case: &mut TestCase) -> Result<Vec<NodeId>, String> {
    let mut ids = args::<u8>(case, "nodes")?;
    ids.extend(arg::<u8>(case, "node")?);
    ids.into_iter().map(|id| env.check_id(id)).collect()
}

/// `node=1` or `nodes=(1,2)`; every server when neither is given.
fn nodes_arg(env: &Env, case: &mut TestCase) -> Result<Vec<NodeId>, String> {
    let ids = nodes_list(env, case)?;
    Ok(if ids.is_empty() { env.ids() } else { ids })
}

/// Fails on arguments no command took (sorted, so the message is stable).
pub fn done_with_args(case: &TestCase) -> Result<(), String> {
    let mut left: Vec<&String> = case.args.keys().collect();
    if left.is_empty() {
        return Ok(());
    }
    left.sort();
    let left: Vec<&str> = left.into_iter().map(|s| s.as_str()).collect();
    Err(format!("{}: unknown arguments {}", case.directive, left.join(", ")))
}
