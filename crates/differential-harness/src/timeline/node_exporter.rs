//! node_exporter on every host (job `node`, port 9100, [`NODE_EPS`]): the families the Calls
//! dashboard's Networking, System and Offloader rows chart, with node_exporter's names, help
//! texts, label sets (`cpu`/`mode`, `device`) and types (netstat values are `untyped`).

use super::*;

/// What a host does, for its load.
#[derive(Clone, Copy)]
struct Profile {
    cpus: usize,
    /// CPU time per CPU per second in (user, system, softirq, iowait, steal); the rest is idle
    /// (`irq` and `nice` stay 0, as on most VMs).
    cpu: [f64; 5],
    /// /proc/meminfo's MemTotal, kB.
    mem_total_kb: f64,
    /// Mean available memory, fraction of the total.
    available: f64,
    /// eth0 (receive, transmit) bytes per second.
    eth0: (f64, f64),
    /// (TCP, TCP6) sockets in use.
    tcp_inuse: (f64, f64),
    /// Per second: UDP in, out, in errors; UDP6 in, out, in errors; TCP in errors, timeouts,
    /// retransmitted segments.
    netstat: [f64; 9],
    traffic: &'static [f64; SEGMENTS],
}

/// Calls media, as on the rtcd hosts.
const MEDIA_TRAFFIC: [f64; SEGMENTS] = [0.8, 1.0, 1.3, 1.1, 0.9, 0.7];

const MATTERMOST: Profile = Profile {
    cpus: 2,
    // Busier than the Mattermost server and its Calls plugin together (~1.1 cores).
    cpu: [0.46, 0.13, 0.02, 0.004, 0.002],
    mem_total_kb: 16_386_020.0,
    available: 0.58,
    eth0: (2.1e6, 5.3e6),
    tcp_inuse: (1300.0, 12.0),
    netstat: [40.0, 40.0, 0.0, 2.0, 2.0, 0.0, 0.2, 0.3, 12.0],
    traffic: &TRAFFIC,
};
const RTCD: Profile = Profile {
    cpus: 4,
    cpu: [0.31, 0.14, 0.06, 0.002, 0.004],
    mem_total_kb: 8_148_988.0,
    available: 0.74,
    eth0: (3.6e6, 1.2e7),
    tcp_inuse: (40.0, 3.0),
    netstat: [9000.0, 30_000.0, 2.0, 400.0, 1200.0, 0.2, 0.1, 0.2, 3.0],
    traffic: &MEDIA_TRAFFIC,
};
const OFFLOADER: Profile = Profile {
    cpus: 2,
    cpu: [0.42, 0.08, 0.02, 0.01, 0.003],
    mem_total_kb: 32_871_672.0,
    available: 0.66,
    eth0: (1.5e6, 2.0e5),
    tcp_inuse: (25.0, 2.0),
    netstat: [1500.0, 60.0, 0.2, 0.0, 0.0, 0.0, 0.1, 0.1, 0.5],
    traffic: &MEDIA_TRAFFIC,
};

/// The netstat families, in [`Profile::netstat`]'s order: (name, node_exporter's help).
const NETSTAT: [(&str, &str); 9] = [
    ("node_netstat_Udp_InDatagrams", "Statistic UdpInDatagrams."),
    (
        "node_netstat_Udp_OutDatagrams",
        "Statistic UdpOutDatagrams.",
    ),
    ("node_netstat_Udp_InErrors", "Statistic UdpInErrors."),
    (
        "node_netstat_Udp6_InDatagrams",
        "Statistic Udp6InDatagrams.",
    ),
    (
        "node_netstat_Udp6_OutDatagrams",
        "Statistic Udp6OutDatagrams.",
    ),
    ("node_netstat_Udp6_InErrors", "Statistic Udp6InErrors."),
    ("node_netstat_Tcp_InErrs", "Statistic TcpInErrs."),
    (
        "node_netstat_TcpExt_TCPTimeouts",
        "Statistic TcpExtTCPTimeouts.",
    ),
    ("node_netstat_Tcp_RetransSegs", "Statistic TcpRetransSegs."),
];

/// The modes of /proc/stat in node_exporter's order (sorted).
const MODES: [&str; 8] = [
    "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user",
];

fn profile(host: usize) -> Profile {
    match HOSTS[host] {
        h if NODES.contains(&h) => MATTERMOST,
        h if RTCD_NODES.contains(&h) => RTCD,
        _ => OFFLOADER,
    }
}

pub(super) fn generate(g: &mut Gen) {
    cpu(g);
    memory(g);
    network(g);
    sockets(g);
    netstat(g);
}

fn cpu(g: &mut Gen) {
    let name = "node_cpu_seconds_total";
    g.family(name, "Seconds the CPUs spent in each mode.", Kind::Counter);
    for ep in NODE_EPS {
        let p = profile(ENDPOINTS[ep].host);
        for c in 0..p.cpus {
            let cpu = c.to_string();
            let mut rng = Rng::keyed(&key_of(name, ep, &labels(&[("cpu", &cpu)])));
            // Busy time per mode and segment, hundredths of a percent; idle is the rest.
            let mut rates = [[0.0; SEGMENTS]; 8];
            for s in 0..SEGMENTS {
                let base: f64 = p.cpu.iter().sum();
                // A CPU is at most 95% busy.
                let load = (p.traffic[s] * rng.range(0.85, 1.15)).min(0.95 / base);
                let busy = |share: f64| (share * load * 10_000.0).round() / 10_000.0;
                let [user, system, softirq, iowait, steal] = p.cpu.map(busy);
                rates[1][s] = iowait;
                rates[4][s] = softirq;
                rates[5][s] = steal;
                rates[6][s] = system;
                rates[7][s] = user;
                rates[0][s] = (10_000.0 - (user + system + softirq + iowait + steal) * 10_000.0)
                    .round()
                    / 10_000.0;
            }
            for (m, mode) in MODES.iter().enumerate() {
                g.float_series(ep, name, &[("cpu", &cpu), ("mode", mode)], rates[m], 0.01);
            }
        }
    }
}

fn memory(g: &mut Gen) {
    let total = "node_memory_MemTotal_bytes";
    let available = "node_memory_MemAvailable_bytes";
    let mut totals = Vec::new();
    for ep in NODE_EPS {
        let p = profile(ENDPOINTS[ep].host);
        totals.push((ep, p.mem_total_kb * 1024.0, p.available));
    }
    g.family(
        available,
        "Memory information field MemAvailable_bytes.",
        Kind::Gauge,
    );
    for &(ep, bytes, share) in &totals {
        let w = Walk {
            mean: bytes * share,
            step: bytes * 0.004,
            min: bytes * 0.05,
            max: bytes * 0.95,
            quantum: 4096.0,
            after_restart: 1.0,
        };
        g.gauge(ep, available, &[], w);
    }
    g.family(
        total,
        "Memory information field MemTotal_bytes.",
        Kind::Gauge,
    );
    for &(ep, bytes, _) in &totals {
        g.push_gauge(ep, total, Vec::new(), vec![bytes; SCRAPES_PER_ENDPOINT]);
    }
}

fn network(g: &mut Gen) {
    for (name, help, transmit) in [
        (
            "node_network_receive_bytes_total",
            "Network device statistic receive_bytes.",
            false,
        ),
        (
            "node_network_transmit_bytes_total",
            "Network device statistic transmit_bytes.",
            true,
        ),
    ] {
        g.family(name, help, Kind::Counter);
        for ep in NODE_EPS {
            let p = profile(ENDPOINTS[ep].host);
            let eth0 = if transmit { p.eth0.1 } else { p.eth0.0 };
            g.counter(ep, name, &[("device", "eth0")], eth0, p.traffic);
            // Loopback: what a host sends itself it receives.
            g.counter(ep, name, &[("device", "lo")], 21_000.0, &FLAT);
        }
    }
}

fn sockets(g: &mut Gen) {
    for (name, help, v6) in [
        (
            "node_sockstat_TCP6_inuse",
            "Number of TCP6 sockets in state inuse.",
            true,
        ),
        (
            "node_sockstat_TCP_inuse",
            "Number of TCP sockets in state inuse.",
            false,
        ),
    ] {
        g.family(name, help, Kind::Gauge);
        for ep in NODE_EPS {
            let p = profile(ENDPOINTS[ep].host);
            let mean = if v6 { p.tcp_inuse.1 } else { p.tcp_inuse.0 };
            let w = Walk::count(mean, 0.5 + mean * 0.01, 0.0, mean * 5.0);
            g.gauge(ep, name, &[], w);
        }
    }
}

fn netstat(g: &mut Gen) {
    for (i, (name, help)) in NETSTAT.iter().enumerate() {
        g.family(name, help, Kind::Untyped);
        for ep in NODE_EPS {
            let p = profile(ENDPOINTS[ep].host);
            g.counter(ep, name, &[], p.netstat[i], p.traffic);
        }
    }
}
