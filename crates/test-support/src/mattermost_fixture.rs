//! Deterministic generator of a realistic Mattermost `/metrics` scrape.
//!
//! The output imitates what a busy Mattermost node (client_golang v1.20.x, as pinned by
//! Mattermost server in 2025) serves on `:8067/metrics`: all 105 application families from
//! `server/enterprise/metrics/metrics.go`, the process collector (namespace `mattermost`), the
//! default Go collector and one `go_sql_*` DB stats collector per SQL handle.
//!
//! Two encodings are produced from the same in-memory data:
//!
//! * text format 0.0.4, byte for byte as `expfmt.MetricFamilyToText` writes it, and
//! * OpenMetrics 1.0.0, as `expfmt.MetricFamilyToOpenMetrics` writes it with
//!   `WithCreatedLines()` (what promhttp does with `EnableOpenMetricsTextCreatedSamples`).
//!   Note that stock Mattermost registers its handler with `promhttp.HandlerOpts{}`, which
//!   never negotiates OpenMetrics, so a real node answers text 0.0.4 whatever the `Accept`
//!   header says; this encoding is what the same registry yields once OpenMetrics is enabled.
//!
//! Byte-level fidelity is the point of this file: the parser under test must see exactly what
//! Mattermost really sends (Go's shortest `%g` floats such as `1.234567e+06`, `le="+Inf"`,
//! label pairs sorted by name with `le`/`quantile` appended last, series sorted by label
//! values, ...), not a tidier approximation of it.
//!
//! Everything is derived from a splitmix64 stream seeded by [`FixtureOptions::seed`], and only
//! IEEE-754 basic arithmetic is used on printed values (no libm `exp`/`ln`, whose last bit may
//! differ between platforms), so the same options give the same bytes on every machine.
//!
//! Std only and no `unsafe`; used by `examples/gen_fixture.rs`,
//! `tests/fixture_generator.rs`, the benches and the differential harness.

use crate::exposition_text::{
    format_go_float, format_openmetrics_float, push_header, push_labels, Format, Kind,
};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureOptions {
    /// Seed of the pseudo-random stream; same seed, same bytes.
    pub seed: u64,
    /// Multiplies the number of label combinations of the high-cardinality families (API
    /// handlers, store methods, plugins, caches, remotes...). 1 gives a ~600 KB scrape, 9 about
    /// 5 MB. Values of 0 are treated as 1.
    pub scale: usize,
    /// Text format 0.0.4 (the default) or OpenMetrics 1.0.0.
    pub format: Format,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        FixtureOptions {
            seed: 42,
            scale: 1,
            format: Format::Text,
        }
    }
}

/// Generates a complete `/metrics` response body.
pub fn generate(opts: &FixtureOptions) -> String {
    let mut b = Builder::new(opts.seed, opts.scale.max(1));
    b.application();
    b.process();
    b.go_runtime();
    b.go_sql();
    render(b.families, opts.format)
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and maths
// ---------------------------------------------------------------------------------------------

/// splitmix64: tiny, fast, and good enough for fixture data (the
/// differential harness's timeline draws from it too).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), exactly representable (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi].
    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Log-uniform in [lo, hi]: spreads magnitudes the way real traffic does.
    fn log_range(&mut self, lo: f64, hi: f64) -> f64 {
        lo * det_exp(self.unit() * det_ln(hi / lo))
    }

    /// Multiplicative jitter around 1.
    fn jitter(&mut self, spread: f64) -> f64 {
        self.range(1.0 - spread, 1.0 + spread)
    }
}

/// Natural logarithm using only + - * /, so results are identical on every platform.
fn det_ln(x: f64) -> f64 {
    assert!(x > 0.0 && x.is_finite(), "det_ln domain: {x}");
    let mut m = x;
    let mut k = 0i32;
    while m >= 2.0 {
        m /= 2.0;
        k += 1;
    }
    while m < 1.0 {
        m *= 2.0;
        k -= 1;
    }
    // ln(m) = 2 atanh((m-1)/(m+1)); |y| < 1/3 so the series converges fast.
    let y = (m - 1.0) / (m + 1.0);
    let y2 = y * y;
    let mut term = y;
    let mut sum = 0.0;
    for n in 0..40 {
        sum += term / (2 * n + 1) as f64;
        term *= y2;
    }
    2.0 * sum + k as f64 * std::f64::consts::LN_2
}

/// Exponential using only + - * /, so results are identical on every platform.
fn det_exp(x: f64) -> f64 {
    if x < -700.0 {
        return 0.0;
    }
    if x > 700.0 {
        return f64::INFINITY;
    }
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..30 {
        term *= r / n as f64;
        sum += term;
    }
    let mut out = sum;
    if k > 0.0 {
        for _ in 0..k as i32 {
            out *= 2.0;
        }
    } else {
        for _ in 0..(-k) as i32 {
            out /= 2.0;
        }
    }
    out
}

/// Share of observations at or below `x` for a log-logistic distribution with the given
/// median and shape (higher shape = narrower). Latencies and sizes are roughly log-normal;
/// the log-logistic has a closed-form CDF and a realistically heavy tail.
fn loglogistic_cdf(x: f64, median: f64, shape: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    1.0 / (1.0 + det_exp(-shape * det_ln(x / median)))
}

// ---------------------------------------------------------------------------------------------
// Data model (a small mirror of client_model's dto.MetricFamily)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Hist {
    bounds: &'static [f64],
    /// Cumulative counts, one per bound (the +Inf bucket is `count`).
    cumulative: Vec<u64>,
    count: u64,
    sum: f64,
}

#[derive(Clone, Debug)]
struct Summ {
    quantiles: Vec<(f64, f64)>,
    count: u64,
    sum: f64,
}

#[derive(Clone, Debug)]
enum Value {
    Scalar(f64),
    Hist(Hist),
    Summ(Summ),
}

#[derive(Clone, Debug)]
struct Series {
    /// Label pairs; sorted by name before rendering, as client_golang does.
    labels: Vec<(&'static str, String)>,
    value: Value,
    /// Unix seconds; only series backed by a real client_golang metric object have one
    /// (const metrics from collectors, e.g. go_sql_* or process_*, do not).
    created: Option<f64>,
}

#[derive(Clone, Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    series: Vec<Series>,
}

// ---------------------------------------------------------------------------------------------
// Bucket layouts (exactly those of metrics.go)
// ---------------------------------------------------------------------------------------------

/// prometheus.DefBuckets.
const DEF: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const WEB_SLOW: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0];
const WEB_PAINT: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0,
];
const WEB_PAGE_LOAD: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0,
];
const MOBILE_LOAD: &[f64] = &[
    1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 5.0, 5.5, 6.0, 7.5, 10.0, 20.0, 25.0, 30.0,
];
const MOBILE_SPEED: &[f64] = &[1000.0, 10000.0, 50000.0, 100000.0, 500000.0, 1e6, 5e6];
const MOBILE_LATENCY: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const MOBILE_COMPRESSED: &[f64] = &[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0];
const MOBILE_REQUESTS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0];
const MOBILE_CHANNEL_SWITCH: &[f64] = &[
    0.150, 0.200, 0.300, 0.400, 0.450, 0.500, 0.550, 0.600, 0.750, 1.0, 2.0, 3.0,
];
const MOBILE_TEAM_SWITCH: &[f64] = &[
    0.150, 0.200, 0.250, 0.300, 0.350, 0.400, 0.500, 0.750, 1.0, 2.0, 3.0,
];
const DESKTOP_CPU: &[f64] = &[
    0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 80.0, 100.0,
];
const DESKTOP_MEMORY: &[f64] = &[
    0.0, 50.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0, 3000.0,
    5000.0,
];

// ---------------------------------------------------------------------------------------------
// Label value vocabularies (real Mattermost names)
// ---------------------------------------------------------------------------------------------

/// Flags for API handlers.
const PL: u8 = 1; // called during page load (X-Page-Load-Context: page_load)
const RC: u8 = 2; // called after a websocket reconnect (X-Page-Load-Context: reconnect)
const NM: u8 = 4; // ETag handler, answers 304 Not Modified
const NO_MOBILE: u8 = 8; // web/desktop only
const MOBILE_ONLY: u8 = 16;

/// (handler name, HTTP method, success status, calls over the uptime, median seconds, flags,
/// typical error status or "").
type ApiHandler = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    u8,
    &'static str,
);

const API_HANDLERS: &[ApiHandler] = &[
    (
        "getPostsForChannel",
        "GET",
        "200",
        2.4e6,
        0.021,
        PL | RC | NM,
        "403",
    ),
    (
        "getPostsForChannelAroundLastUnread",
        "GET",
        "200",
        8.7e5,
        0.043,
        PL | RC,
        "",
    ),
    ("getPost", "GET", "200", 3.9e5, 0.006, 0, "404"),
    ("getPostThread", "GET", "200", 6.2e5, 0.028, RC, "404"),
    ("getFileInfosForPost", "GET", "200", 3.3e5, 0.005, NM, ""),
    ("getUser", "GET", "200", 1.1e6, 0.003, PL | NM, "404"),
    ("getUsersByIds", "POST", "200", 8.1e5, 0.008, RC, ""),
    ("getProfileImage", "GET", "200", 1.9e6, 0.004, NM, "404"),
    ("getUserStatusesByIds", "POST", "200", 1.5e6, 0.002, RC, ""),
    ("autocompleteUsers", "GET", "200", 2.6e5, 0.034, 0, ""),
    ("getChannel", "GET", "200", 5.2e5, 0.004, 0, "403"),
    (
        "getChannelMembersForUser",
        "GET",
        "200",
        2.2e5,
        0.041,
        PL | RC,
        "",
    ),
    ("getChannelMember", "GET", "200", 7.3e5, 0.003, 0, "404"),
    (
        "getChannelsForTeamForUser",
        "GET",
        "200",
        2.3e5,
        0.062,
        PL | RC | NM,
        "",
    ),
    ("getTeamsForUser", "GET", "200", 3.0e5, 0.008, PL | RC, ""),
    (
        "getTeamMembersForUser",
        "GET",
        "200",
        2.9e5,
        0.006,
        PL | RC,
        "",
    ),
    ("getTeamsUnreadForUser", "GET", "200", 6.3e5, 0.021, RC, ""),
    ("getClientConfig", "GET", "200", 5.1e5, 0.001, PL | NM, ""),
    ("getClientLicense", "GET", "200", 4.8e5, 0.0009, PL | NM, ""),
    ("getPreferences", "GET", "200", 3.1e5, 0.004, PL | RC, ""),
    (
        "getCategoriesForTeamForUser",
        "GET",
        "200",
        2.6e5,
        0.014,
        PL | RC,
        "",
    ),
    ("getThreadsForUser", "GET", "200", 3.3e5, 0.078, RC, ""),
    ("getFile", "GET", "200", 2.1e5, 0.036, 0, "404"),
    ("getFileThumbnail", "GET", "200", 6.0e5, 0.011, NM, ""),
    ("createPost", "POST", "201", 4.2e5, 0.092, 0, "403"),
    ("viewChannel", "POST", "200", 2.7e6, 0.016, 0, ""),
    ("uploadFileStream", "POST", "201", 3.1e4, 0.17, 0, "413"),
    (
        "searchPostsInTeamForUser",
        "POST",
        "200",
        4.6e4,
        0.21,
        0,
        "400",
    ),
    ("login", "POST", "200", 1.1e4, 0.11, 0, "401"),
    (
        "submitPerformanceReport",
        "POST",
        "200",
        3.2e5,
        0.002,
        NO_MOBILE,
        "",
    ),
    (
        "attachDeviceId",
        "PUT",
        "200",
        6.4e3,
        0.014,
        MOBILE_ONLY,
        "",
    ),
];

/// Store methods timed by the timer layer (`mattermost_db_store_time{method=...}`).
const STORE_METHODS: &[&str] = &[
    "ChannelMemberHistoryStore.LogJoinEvent",
    "ChannelStore.Get",
    "ChannelStore.GetAllChannelMembersForUser",
    "ChannelStore.GetAllChannelMembersNotifyPropsForChannel",
    "ChannelStore.GetByName",
    "ChannelStore.GetChannelUnread",
    "ChannelStore.GetChannels",
    "ChannelStore.GetChannelsByIds",
    "ChannelStore.GetMember",
    "ChannelStore.GetMemberCount",
    "ChannelStore.GetMembers",
    "ChannelStore.GetMembersByIds",
    "ChannelStore.GetMembersForUser",
    "ChannelStore.GetSidebarCategoriesForTeamForUser",
    "ChannelStore.IncrementMentionCount",
    "ChannelStore.SaveMember",
    "ChannelStore.UpdateLastViewedAt",
    "ChannelStore.UpdateMemberNotifyProps",
    "ClusterDiscoveryStore.SetLastPingAt",
    "DraftStore.GetDraftsForUser",
    "DraftStore.Upsert",
    "EmojiStore.GetMultipleByName",
    "FileInfoStore.GetForPost",
    "FileInfoStore.Save",
    "JobStore.GetNewestJobByStatusesAndType",
    "LicenseStore.Get",
    "PluginStore.Get",
    "PluginStore.SetWithOptions",
    "PostStore.AnalyticsPostCount",
    "PostStore.Delete",
    "PostStore.Get",
    "PostStore.GetEtag",
    "PostStore.GetFlaggedPosts",
    "PostStore.GetPostAfterTime",
    "PostStore.GetPosts",
    "PostStore.GetPostsAfter",
    "PostStore.GetPostsBefore",
    "PostStore.GetPostsByIds",
    "PostStore.GetPostsSince",
    "PostStore.GetSingle",
    "PostStore.Save",
    "PostStore.Search",
    "PostStore.Update",
    "PreferenceStore.GetAll",
    "PreferenceStore.GetCategory",
    "PreferenceStore.Save",
    "ReactionStore.Delete",
    "ReactionStore.GetForPost",
    "ReactionStore.Save",
    "RoleStore.GetByNames",
    "SchemeStore.Get",
    "SessionStore.Get",
    "SessionStore.GetSessions",
    "SessionStore.Save",
    "SessionStore.UpdateLastActivityAt",
    "StatusStore.Get",
    "StatusStore.GetByIds",
    "StatusStore.SaveOrUpdate",
    "StatusStore.UpdateLastActivityAt",
    "SystemStore.GetByName",
    "TeamStore.Get",
    "TeamStore.GetChannelUnreadsForAllTeams",
    "TeamStore.GetMember",
    "TeamStore.GetTeamsForUser",
    "TeamStore.GetUserTeamIds",
    "ThreadStore.GetMembershipForUser",
    "ThreadStore.GetThreadForUser",
    "ThreadStore.GetThreadsForUser",
    "ThreadStore.MaintainMembership",
    "ThreadStore.MarkAsRead",
    "ThreadStore.UpdateMembership",
    "TokenStore.GetByToken",
    "UserStore.Count",
    "UserStore.Get",
    "UserStore.GetAllProfilesInChannel",
    "UserStore.GetKnownUsers",
    "UserStore.GetProfileByIds",
    "UserStore.GetProfilesByUsernames",
    "UserStore.Search",
];

/// Cluster events pre-initialised in metrics.go (model/cluster_message.go), plus "other".
const CLUSTER_EVENTS: &[&str] = &[
    "publish",
    "update_status",
    "inv_all_caches",
    "inv_reactions",
    "inv_channel_members_notify_props",
    "inv_channel_name",
    "inv_channel",
    "inv_channel_guest_count",
    "inv_user",
    "inv_user_teams",
    "clear_session_user",
    "inv_roles",
    "inv_role_permissions",
    "inv_profile_ids",
    "inv_all_profiles",
    "inv_profile_in_channel",
    "inv_schemes",
    "inv_file_infos",
    "inv_webhooks",
    "inv_emojis_by_id",
    "inv_emojis_id_by_name",
    "inv_channel_file_count",
    "inv_channel_pinnedposts_counts",
    "inv_channel_member_counts",
    "inv_channels_member_count",
    "inv_last_posts",
    "inv_last_post_time",
    "inv_posts_usage",
    "inv_teams",
    "inv_all_user_sessions",
    "install_plugin",
    "remove_plugin",
    "plugin_event",
    "inv_terms_of_service",
    "busy_state_change",
    "other",
];

/// Websocket broadcast names pre-initialised in metrics.go, plus "other".
const WS_BROADCASTS: &[&str] = &[
    "typing",
    "multiple_channels_viewed",
    "posted",
    "new_user",
    "user_added",
    "user_updated",
    "user_removed",
    "preference_changed",
    "ephemeral_message",
    "status_change",
    "hello",
    "response",
    "post_edited",
    "post_deleted",
    "post_unread",
    "channel_converted",
    "channel_created",
    "channel_deleted",
    "channel_restored",
    "channel_updated",
    "channel_member_updated",
    "channel_scheme_updated",
    "direct_added",
    "group_added",
    "added_to_team",
    "leave_team",
    "update_team",
    "delete_team",
    "restore_team",
    "update_team_scheme",
    "user_role_updated",
    "memberrole_updated",
    "preferences_changed",
    "preferences_deleted",
    "reaction_added",
    "reaction_removed",
    "group_member_deleted",
    "group_member_add",
    "sidebar_category_created",
    "sidebar_category_updated",
    "sidebar_category_deleted",
    "sidebar_category_order_updated",
    "thread_updated",
    "thread_follow_changed",
    "thread_read_changed",
    "draft_created",
    "draft_updated",
    "draft_deleted",
    "other",
];

/// Websocket events most often sent to connections (`mattermost_websocket_event_total{type}`).
const WS_EVENTS: &[&str] = &[
    "typing",
    "posted",
    "post_edited",
    "status_change",
    "hello",
    "response",
    "multiple_channels_viewed",
    "reaction_added",
    "preferences_changed",
    "thread_updated",
    "thread_read_changed",
    "channel_member_updated",
    "user_updated",
    "draft_updated",
    "plugin_statuses_changed",
];

const PLUGINS: &[&str] = &[
    "com.mattermost.calls",
    "playbooks",
    "focalboard",
    "com.mattermost.nps",
    "mattermost-ai",
    "com.github.manland.mattermost-plugin-gitlab",
    "jira",
];

const PLUGIN_HOOKS: &[&str] = &[
    "MessageWillBePosted",
    "MessageHasBeenPosted",
    "ServeHTTP",
    "UserHasJoinedChannel",
    "OnWebSocketConnect",
    "ExecuteCommand",
    "OnConfigurationChange",
];

const PLUGIN_APIS: &[&str] = &[
    "KVGet",
    "KVSetWithOptions",
    "GetUser",
    "GetChannel",
    "GetConfig",
    "PublishWebSocketEvent",
    "GetChannelMember",
    "CreatePost",
    "HasPermissionTo",
    "LogDebug",
];

const CACHE_NAMES: &[&str] = &[
    "AllUserProfiles",
    "Channel",
    "ChannelByName",
    "ChannelMemberCount",
    "ChannelMembersNotifyProps",
    "ChannelPinnedPostsCount",
    "FileInfo",
    "LastPost",
    "ProfilesInChannel",
    "Reaction",
    "Role",
    "Scheme",
    "Team",
    "UserProfileByIds",
    "Webhook",
];

const ETAG_ROUTES: &[&str] = &[
    "Get Posts",
    "Get Channel",
    "Get Team Members",
    "Get Emoji List",
    "Get File Infos for Post",
    "Get Profile Image",
    "Get Preferences",
    "Get Client Config",
];

const JOB_TYPES: &[&str] = &[
    "active_users",
    "cleanup_desktop_tokens",
    "data_retention",
    "elasticsearch_post_indexing",
    "expiry_notify",
    "ldap_sync",
    "message_export",
    "migrations",
    "plugins",
    "product_notices",
    "refresh_post_stats",
];

/// Web app (platform, agent) pairs as reported by the client performance reporter.
const WEB_CLIENTS: &[(&str, &str)] = &[
    ("linux", "chrome"),
    ("macos", "chrome"),
    ("macos", "desktop"),
    ("windows", "chrome"),
    ("windows", "desktop"),
];

/// Mattermost's base32 alphabet for 26-character ids.
const ID_ALPHABET: &[u8] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

// ---------------------------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------------------------

struct Builder {
    rng: Rng,
    scale: usize,
    families: Vec<Family>,
    /// Scrape time, unix nanoseconds.
    now_ns: u64,
    /// Process start, unix nanoseconds.
    start_ns: u64,
    /// Sum of api_time counts, reused for the http_* counters so the scrape is consistent.
    api_requests: u64,
    api_errors: u64,
    /// Open connections of the SQL handles (master, replica-0, replica-1, searchreplica-0),
    /// shared by the mattermost_db_*_connections_total gauges and go_sql_open_connections.
    db_open: [u64; 4],
}

fn labels(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

impl Builder {
    fn new(seed: u64, scale: usize) -> Self {
        let mut rng = Rng(seed);
        // Mid-February 2025 (client_golang v1.20.5 era) plus up to a day, then 4-8 days uptime.
        let now_s = 1_739_577_600 + rng.int(0, 86_400);
        let now_ns = now_s * 1_000_000_000 + rng.int(0, 999_999_999);
        let uptime_ns = rng.int(4 * 86_400, 8 * 86_400) * 1_000_000_000;
        // /proc start times have clock-tick (10 ms) resolution.
        let start_ns = (now_ns - uptime_ns) / 10_000_000 * 10_000_000;
        let db_open = [
            rng.int(20, 60),
            rng.int(15, 45),
            rng.int(15, 45),
            rng.int(3, 12),
        ];
        Builder {
            rng,
            scale,
            families: Vec::new(),
            now_ns,
            start_ns,
            api_requests: 0,
            api_errors: 0,
            db_open,
        }
    }

    fn uptime_s(&self) -> f64 {
        (self.now_ns - self.start_ns) as f64 / 1e9
    }

    /// `float64(t.UnixNano()) / 1e9`, as client_golang turns timestamps into floats.
    fn ns_to_s(ns: u64) -> f64 {
        ns as f64 / 1e9
    }

    /// Creation time of a metric registered in `metrics.New()`, a couple of seconds in.
    fn created_at_boot(&mut self) -> Option<f64> {
        let ns = self.start_ns + self.rng.int(1_200_000_000, 2_900_000_000);
        Some(Self::ns_to_s(ns))
    }

    /// Creation time of a Vec child, i.e. of its first observation.
    fn created_lazily(&mut self) -> Option<f64> {
        let span = self.now_ns - self.start_ns;
        let offset = if self.rng.chance(0.7) {
            // Most label combinations show up in the first minutes.
            self.rng.int(3_000_000_000, 900_000_000_000)
        } else {
            self.rng.int(3_000_000_000, span / 2)
        };
        Some(Self::ns_to_s(self.start_ns + offset))
    }

    /// Base names repeated `scale` times; copies get a `_2`, `_3`... suffix so every label
    /// value stays unique.
    fn scaled(&self, base: &[&'static str]) -> Vec<String> {
        let mut out = Vec::with_capacity(base.len() * self.scale);
        for rep in 0..self.scale {
            for b in base {
                if rep == 0 {
                    out.push(b.to_string());
                } else {
                    out.push(format!("{}_{}", b, rep + 1));
                }
            }
        }
        out
    }

    fn mm_id(&mut self) -> String {
        (0..26)
            .map(|_| ID_ALPHABET[self.rng.int(0, 31) as usize] as char)
            .collect()
    }

    fn push(&mut self, name: &'static str, help: &'static str, kind: Kind, series: Vec<Series>) {
        assert!(
            !series.is_empty(),
            "{name}: client_golang drops families without series"
        );
        self.families.push(Family {
            name,
            help,
            kind,
            series,
        });
    }

    /// A label-less counter created at boot.
    fn counter1(&mut self, name: &'static str, help: &'static str, value: f64) {
        let created = self.created_at_boot();
        self.push(
            name,
            help,
            Kind::Counter,
            vec![Series {
                labels: vec![],
                value: Value::Scalar(value),
                created,
            }],
        );
    }

    /// A label-less gauge.
    fn gauge1(&mut self, name: &'static str, help: &'static str, value: f64) {
        self.push(
            name,
            help,
            Kind::Gauge,
            vec![Series {
                labels: vec![],
                value: Value::Scalar(value),
                created: None,
            }],
        );
    }

    /// A label-less histogram created at boot.
    fn histogram1(
        &mut self,
        name: &'static str,
        help: &'static str,
        bounds: &'static [f64],
        count: u64,
        median: f64,
        shape: f64,
    ) {
        let h = self.hist(bounds, count, median, shape);
        let created = self.created_at_boot();
        self.push(
            name,
            help,
            Kind::Histogram,
            vec![Series {
                labels: vec![],
                value: Value::Hist(h),
                created,
            }],
        );
    }

    fn counter_series(&mut self, labels: Vec<(&'static str, String)>, value: f64) -> Series {
        let created = self.created_lazily();
        Series {
            labels,
            value: Value::Scalar(value),
            created,
        }
    }

    fn gauge_series(&mut self, labels: Vec<(&'static str, String)>, value: f64) -> Series {
        Series {
            labels,
            value: Value::Scalar(value),
            created: None,
        }
    }

    fn hist_series(
        &mut self,
        labels: Vec<(&'static str, String)>,
        bounds: &'static [f64],
        count: u64,
        median: f64,
        shape: f64,
    ) -> Series {
        let h = self.hist(bounds, count, median, shape);
        let created = self.created_lazily();
        Series {
            labels,
            value: Value::Hist(h),
            created,
        }
    }

    /// Builds histogram data whose buckets follow a log-logistic distribution.
    ///
    /// Cumulative counts are clamped to be non-decreasing and at most `count`, so the `+Inf`
    /// bucket always equals `_count`. Each observation is placed at a random point inside its
    /// bucket to get a `_sum` that is consistent with the buckets.
    fn hist(&mut self, bounds: &'static [f64], count: u64, median: f64, shape: f64) -> Hist {
        let mut cumulative = Vec::with_capacity(bounds.len());
        let mut prev = 0u64;
        for &b in bounds {
            let c = (count as f64 * loglogistic_cdf(b, median, shape)).round() as u64;
            let c = c.clamp(prev, count);
            cumulative.push(c);
            prev = c;
        }
        let mut sum = 0.0;
        let mut below = 0u64;
        for (i, &upper) in bounds.iter().enumerate() {
            let n = cumulative[i] - below;
            below = cumulative[i];
            if n == 0 {
                continue;
            }
            let lower = if i == 0 {
                upper.min(0.0)
            } else {
                bounds[i - 1]
            };
            let point = lower + (upper - lower) * self.rng.range(0.3, 0.7);
            sum += n as f64 * point;
        }
        let overflow = count - below;
        if overflow > 0 {
            let last = *bounds.last().expect("bounds are never empty");
            sum += overflow as f64 * last * self.rng.range(1.1, 1.9);
        }
        Hist {
            bounds,
            cumulative,
            count,
            sum,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Application metrics (metrics.go)
    // -----------------------------------------------------------------------------------------

    fn application(&mut self) {
        // Order matters only for the random stream: api_time first so the http_* counters can
        // reuse its totals.
        self.api();
        self.db();
        self.posts_http_login();
        self.cluster();
        self.cache();
        self.websocket();
        self.search();
        self.plugins();
        self.logging();
        self.remote_and_shared();
        self.system_jobs_notifications();
        self.webapp();
        self.mobile_desktop();
        self.access_control();
    }

    fn api(&mut self) {
        const HELP: &str = "Time to execute the api handler";
        let mut series = Vec::new();
        for rep in 0..self.scale {
            for &(base, method, ok, calls, median, flags, err) in API_HANDLERS {
                let handler = if rep == 0 {
                    base.to_string()
                } else {
                    format!("{}_{}", base, rep + 1)
                };
                // Copies of handlers get less traffic, as the long tail of a real API does.
                let calls = calls
                    * if rep == 0 {
                        1.0
                    } else {
                        self.rng.range(0.02, 0.4)
                    };
                let origins: &[(&str, f64)] = if flags & MOBILE_ONLY != 0 {
                    &[("mobile", 1.0)]
                } else if flags & NO_MOBILE != 0 {
                    &[("desktop", 0.35), ("web", 0.65)]
                } else {
                    &[("desktop", 0.27), ("mobile", 0.21), ("web", 0.52)]
                };
                for &(origin, share) in origins {
                    let mut contexts: Vec<(&str, f64)> = vec![("", 1.0)];
                    if flags & PL != 0 && origin == "web" {
                        contexts.push(("page_load", 0.18));
                    }
                    if flags & RC != 0 && origin == "web" {
                        contexts.push(("reconnect", 0.07));
                    }
                    for (ctx, ctx_share) in contexts {
                        let n = (calls * share * ctx_share * self.rng.jitter(0.25)) as u64;
                        // Page-load requests hit cold caches: a bit slower.
                        let med =
                            median * if ctx.is_empty() { 1.0 } else { 1.35 } * self.rng.jitter(0.2);
                        let l = self.api_labels(&handler, method, ok, origin, ctx);
                        series.push(self.hist_series(l, DEF, n, med, 2.2));
                        self.api_requests += n;
                        if !ctx.is_empty() {
                            continue;
                        }
                        // The web app sends If-None-Match; the other clients rarely get a 304.
                        if flags & NM != 0 && origin == "web" {
                            let n304 = (n as f64 * self.rng.range(0.15, 0.45)) as u64;
                            let l = self.api_labels(&handler, method, "304", origin, ctx);
                            series.push(self.hist_series(l, DEF, n304, median * 0.4, 2.5));
                            self.api_requests += n304;
                        }
                        let err_chance = if origin == "web" { 0.6 } else { 0.15 };
                        if !err.is_empty() && self.rng.chance(err_chance) {
                            let ne = (n as f64 * self.rng.range(0.0005, 0.01)) as u64 + 1;
                            let l = self.api_labels(&handler, method, err, origin, ctx);
                            series.push(self.hist_series(l, DEF, ne, median * 0.6, 1.8));
                            self.api_requests += ne;
                            self.api_errors += ne;
                        }
                    }
                }
                // A sprinkle of server errors and of requests from unidentified clients.
                if self.rng.chance(0.08) {
                    let n = self.rng.int(1, 40);
                    let l = self.api_labels(&handler, method, "500", "web", "");
                    series.push(self.hist_series(l, DEF, n, median * 8.0, 1.5));
                    self.api_requests += n;
                    self.api_errors += n;
                }
                if self.rng.chance(0.06) {
                    let n = self.rng.int(5, 3000);
                    let l = self.api_labels(&handler, method, ok, "unknown", "");
                    series.push(self.hist_series(l, DEF, n, median, 2.2));
                    self.api_requests += n;
                }
            }
        }
        self.push("mattermost_api_time", HELP, Kind::Histogram, series);
    }

    fn api_labels(
        &self,
        handler: &str,
        method: &str,
        status: &str,
        origin: &str,
        ctx: &str,
    ) -> Vec<(&'static str, String)> {
        labels(&[
            ("handler", handler),
            ("method", method),
            ("status_code", status),
            ("origin_client", origin),
            ("page_load_context", ctx),
        ])
    }

    fn db(&mut self) {
        // Store method timings.
        let methods = self.scaled(STORE_METHODS);
        let mut series = Vec::new();
        for (i, method) in methods.iter().enumerate() {
            let first_copy = i < STORE_METHODS.len();
            let calls = self.rng.log_range(2e3, 4e6) * if first_copy { 1.0 } else { 0.2 };
            let median = if method.contains("Search") || method.contains("Analytics") {
                self.rng.range(0.06, 0.4)
            } else {
                self.rng.log_range(0.0004, 0.012)
            };
            let l = labels(&[("method", method), ("success", "true")]);
            series.push(self.hist_series(l, DEF, calls as u64, median, 2.4));
            if self.rng.chance(0.06) {
                let failed = self.rng.int(1, (calls / 500.0) as u64 + 2);
                let l = labels(&[("method", method), ("success", "false")]);
                series.push(self.hist_series(l, DEF, failed, median * 3.0, 1.6));
            }
        }
        self.push(
            "mattermost_db_store_time",
            "Time to execute the store method",
            Kind::Histogram,
            series,
        );

        // Redis/LRU cache timings.
        let caches = self.scaled(&CACHE_NAMES[..4]);
        let mut series = Vec::new();
        for cache in &caches {
            for op in ["Get", "GetMulti", "Set"] {
                if op == "GetMulti" && !self.rng.chance(0.5) {
                    continue;
                }
                let n = self.rng.log_range(1e3, 2e6) as u64;
                let median = self.rng.log_range(0.0002, 0.0015);
                let l = labels(&[("cache_name", cache), ("operation", op)]);
                series.push(self.hist_series(l, DEF, n, median, 3.0));
            }
        }
        self.push(
            "mattermost_db_cache_time",
            "Time to execute the cache handler",
            Kind::Histogram,
            series,
        );

        // sql.DB.Stats().OpenConnections of the handles, as in go_sql_open_connections.
        let [master, replica0, replica1, search] = self.db_open;
        self.gauge1(
            "mattermost_db_master_connections_total",
            "The total number of connections to the master database.",
            master as f64,
        );
        self.gauge1(
            "mattermost_db_read_replica_connections_total",
            "The total number of connections to all the read replica databases.",
            (replica0 + replica1) as f64,
        );
        self.gauge1(
            "mattermost_db_search_replica_connections_total",
            "The total number of connections to the search replica database.",
            search as f64,
        );
        let mut abs = Vec::new();
        let mut time = Vec::new();
        for node in ["mm-db-replica-0", "mm-db-replica-1"] {
            let lag = (self.rng.int(0, 64) * 256) as f64;
            abs.push(self.gauge_series(labels(&[("node", node)]), lag));
            // Seconds; a healthy replica lags by microseconds (printed as 4.2e-05).
            let t = self.rng.int(1, 900) as f64 / 1e7;
            time.push(self.gauge_series(labels(&[("node", node)]), t));
        }
        self.push(
            "mattermost_db_replica_lag_abs",
            "An abstract unit for measuring replica lag.",
            Kind::Gauge,
            abs,
        );
        self.push(
            "mattermost_db_replica_lag_time",
            "A time unit for measuring replica lag.",
            Kind::Gauge,
            time,
        );
        let users = self.rng.int(1500, 4000) as f64;
        self.gauge1(
            "mattermost_db_active_users",
            "The total number of active users.",
            users,
        );
    }

    fn posts_http_login(&mut self) {
        let posts = self.rng.int(350_000, 450_000);
        self.counter1(
            "mattermost_post_total",
            "The total number of posts created.",
            posts as f64,
        );
        let v = self.rng.int(5_000, 20_000) as f64;
        self.counter1(
            "mattermost_post_webhooks_total",
            "Total number of webhook posts created.",
            v,
        );
        let v = self.rng.int(2_000, 9_000) as f64;
        self.counter1(
            "mattermost_post_emails_sent_total",
            "The total number of emails sent because a post was created.",
            v,
        );
        let v = (posts as f64 * self.rng.range(0.6, 1.4)).round();
        self.counter1(
            "mattermost_post_pushes_sent_total",
            "The total number of mobile push notifications sent because a post was created.",
            v,
        );
        self.counter1(
            "mattermost_post_broadcasts_total",
            "The total number of websocket broadcasts sent because a post was created.",
            posts as f64,
        );
        let v = (posts as f64 * self.rng.range(0.05, 0.09)).round();
        self.counter1(
            "mattermost_post_file_attachments_total",
            "The total number of file attachments created because a post was created.",
            v,
        );

        // Every API request is counted, plus the websocket upgrades api_time leaves out.
        let websocket_upgrades = self.rng.int(100_000, 200_000);
        self.counter1(
            "mattermost_http_requests_total",
            "The total number of http API requests.",
            (self.api_requests + websocket_upgrades) as f64,
        );
        self.counter1(
            "mattermost_http_errors_total",
            "The total number of http API errors.",
            self.api_errors as f64,
        );
        let mut ws = Vec::new();
        for (origin, lo, hi) in [
            ("desktop", 400, 900),
            ("mobile", 300, 800),
            ("web", 900, 1800),
        ] {
            let v = self.rng.int(lo, hi) as f64;
            ws.push(self.gauge_series(labels(&[("origin_client", origin)]), v));
        }
        self.push(
            "mattermost_http_websockets_total",
            "The total number of websocket connections to this server.",
            Kind::Gauge,
            ws,
        );

        let v = self.rng.int(9_000, 14_000) as f64;
        self.counter1(
            "mattermost_login_logins_total",
            "The total number of successful logins.",
            v,
        );
        let v = self.rng.int(100, 900) as f64;
        self.counter1(
            "mattermost_login_logins_fail_total",
            "The total number of failed logins.",
            v,
        );
    }

    fn cluster(&mut self) {
        // gossip health: 0 is perfectly healthy.
        self.gauge1(
            "mattermost_cluster_cluster_health_score",
            "A score that gives an idea of how well it is meeting the soft-real time requirements of the gossip protocol.",
            0.0,
        );
        let requests = self.rng.int(150_000, 400_000);
        self.counter1(
            "mattermost_cluster_cluster_requests_total",
            "The total number of inter-node requests.",
            requests as f64,
        );
        self.histogram1(
            "mattermost_cluster_cluster_request_duration_seconds",
            "The total duration in seconds of the inter-node cluster requests.",
            DEF,
            requests,
            0.0018,
            2.6,
        );
        // Pre-initialised at boot: every event type exists, many of them still at 0.
        let mut series = Vec::new();
        for event in CLUSTER_EVENTS {
            let v = match *event {
                "publish" => self.rng.int(2_000_000, 6_000_000),
                "update_status" => self.rng.int(200_000, 900_000),
                e if e.starts_with("inv_") && self.rng.chance(0.6) => self.rng.int(10, 90_000),
                _ => 0,
            };
            let created = self.created_at_boot();
            series.push(Series {
                labels: labels(&[("name", event)]),
                value: Value::Scalar(v as f64),
                created,
            });
        }
        self.push(
            "mattermost_cluster_cluster_event_type_totals",
            "The total number of cluster requests sent for any type.",
            Kind::Counter,
            series,
        );
    }

    fn cache(&mut self) {
        let routes = self.scaled(ETAG_ROUTES);
        let mut hits = Vec::new();
        let mut misses = Vec::new();
        for route in &routes {
            let total = self.rng.log_range(1e4, 2e6);
            let hit_ratio = self.rng.range(0.2, 0.6);
            let h = (total * hit_ratio).round();
            let m = (total - h).round();
            hits.push(self.counter_series(labels(&[("route", route)]), h));
            misses.push(self.counter_series(labels(&[("route", route)]), m));
        }
        self.push(
            "mattermost_cache_etag_miss_total",
            "Total number of etag misses",
            Kind::Counter,
            misses,
        );
        self.push(
            "mattermost_cache_etag_hit_total",
            "Total number of etag hits (304)",
            Kind::Counter,
            hits,
        );

        let mut names = vec!["Session".to_string()];
        names.extend(self.scaled(CACHE_NAMES));
        let mut hits = Vec::new();
        let mut misses = Vec::new();
        let mut invalidations = Vec::new();
        for name in &names {
            let total = self.rng.log_range(5e4, 3e7);
            let h = (total * self.rng.range(0.75, 0.99)).round();
            // "Session" is pre-initialised at boot, the others appear on first use.
            let boot = name == "Session";
            let mut s = self.counter_series(labels(&[("name", name)]), h);
            if boot {
                s.created = self.created_at_boot();
            }
            hits.push(s);
            let mut s = self.counter_series(labels(&[("name", name)]), (total - h).round());
            if boot {
                s.created = self.created_at_boot();
            }
            misses.push(s);
            if boot || self.rng.chance(0.6) {
                let v = (total * self.rng.range(0.001, 0.02)).round();
                let mut s = self.counter_series(labels(&[("name", name)]), v);
                if boot {
                    s.created = self.created_at_boot();
                }
                invalidations.push(s);
            }
        }
        self.push(
            "mattermost_cache_mem_miss_total",
            "Total number of memory cache misses",
            Kind::Counter,
            misses,
        );
        self.push(
            "mattermost_cache_mem_hit_total",
            "Total number of memory cache hits",
            Kind::Counter,
            hits,
        );
        self.push(
            "mattermost_cache_mem_invalidation_total",
            "Total number of memory cache invalidations",
            Kind::Counter,
            invalidations,
        );
    }

    fn websocket(&mut self) {
        let mut series = Vec::new();
        for name in WS_BROADCASTS {
            let v = match *name {
                "typing" => self.rng.int(1_000_000, 3_000_000),
                "posted" | "status_change" | "multiple_channels_viewed" => {
                    self.rng.int(300_000, 1_500_000)
                }
                "hello" | "response" | "preferences_changed" | "reaction_added" => {
                    self.rng.int(20_000, 300_000)
                }
                _ if self.rng.chance(0.55) => self.rng.int(1, 40_000),
                _ => 0,
            };
            let created = self.created_at_boot();
            series.push(Series {
                labels: labels(&[("name", name)]),
                value: Value::Scalar(v as f64),
                created,
            });
        }
        self.push(
            "mattermost_websocket_broadcasts_total",
            "The total number of websocket broadcasts sent for any type.",
            Kind::Counter,
            series,
        );

        let mut series = Vec::new();
        for t in WS_EVENTS {
            let v = self.rng.log_range(1e3, 5e7).round();
            series.push(self.counter_series(labels(&[("type", t)]), v));
        }
        self.push(
            "mattermost_websocket_event_total",
            "Total number of websocket events",
            Kind::Counter,
            series,
        );

        // One hub per CPU core.
        let mut buffer = Vec::new();
        let mut registered = Vec::new();
        for hub in 0..8 {
            let hub = hub.to_string();
            let v = self.rng.int(0, 3) as f64;
            buffer.push(self.gauge_series(labels(&[("hub", &hub)]), v));
            let v = self.rng.int(150, 420) as f64;
            registered.push(self.gauge_series(labels(&[("hub", &hub)]), v));
        }
        self.push(
            "mattermost_websocket_broadcast_buffer_size",
            "Number of events in the websocket broadcasts buffer waiting to be processed",
            Kind::Gauge,
            buffer,
        );
        self.push(
            "mattermost_websocket_broadcast_buffer_users_registered",
            "Number of users registered in a broadcast buffer hub",
            Kind::Gauge,
            registered,
        );

        let mut series = Vec::new();
        for (t, lo, hi) in [
            ("failure", 200, 2_000),
            ("lossless", 20_000, 90_000),
            ("success", 5_000, 40_000),
        ] {
            let v = self.rng.int(lo, hi) as f64;
            series.push(self.counter_series(labels(&[("type", t)]), v));
        }
        self.push(
            "mattermost_websocket_reconnects_total",
            "Total number of websocket reconnect attempts",
            Kind::Counter,
            series,
        );
    }

    fn search(&mut self) {
        let n = self.rng.int(30_000, 60_000);
        self.counter1(
            "mattermost_search_posts_searches_total",
            "The total number of post searches carried out.",
            n as f64,
        );
        self.histogram1(
            "mattermost_search_posts_searches_duration_seconds",
            "The total duration in seconds of post searches.",
            DEF,
            n,
            0.18,
            2.0,
        );
        let n = self.rng.int(2_000, 9_000);
        self.counter1(
            "mattermost_search_files_searches_total",
            "The total number of file searches carried out.",
            n as f64,
        );
        self.histogram1(
            "mattermost_search_files_searches_duration_seconds",
            "The total duration in seconds of file searches.",
            DEF,
            n,
            0.09,
            2.0,
        );
        for (name, help, lo, hi) in [
            (
                "mattermost_search_post_index_total",
                "The total number of posts indexes carried out.",
                300_000,
                500_000,
            ),
            (
                "mattermost_search_file_index_total",
                "The total number of files indexes carried out.",
                20_000,
                40_000,
            ),
            (
                "mattermost_search_user_index_total",
                "The total number of user indexes carried out.",
                5_000,
                30_000,
            ),
            (
                "mattermost_search_channel_index_total",
                "The total number of channel indexes carried out.",
                500,
                5_000,
            ),
        ] {
            let v = self.rng.int(lo, hi) as f64;
            self.counter1(name, help, v);
        }
    }

    fn plugins(&mut self) {
        let plugins = self.scaled(PLUGINS);
        let mut hooks = Vec::new();
        let mut multi = Vec::new();
        let mut apis = Vec::new();
        for plugin in &plugins {
            // Each plugin implements a few hooks (at least one) and uses a few API calls (at
            // least one), so no seed can leave a family without series.
            let must_hook = self.rng.int(0, PLUGIN_HOOKS.len() as u64 - 1) as usize;
            for (i, hook) in PLUGIN_HOOKS.iter().enumerate() {
                if i != must_hook && !self.rng.chance(0.1) {
                    continue;
                }
                let n = self.rng.log_range(50.0, 5e5) as u64;
                let median = self.rng.log_range(0.0003, 0.02);
                let l = labels(&[
                    ("plugin_id", plugin),
                    ("hook_name", hook),
                    ("success", "true"),
                ]);
                hooks.push(self.hist_series(l, DEF, n, median, 2.3));
            }
            let n = self.rng.log_range(1e4, 5e5) as u64;
            let median = self.rng.log_range(0.0002, 0.003);
            multi.push(self.hist_series(labels(&[("plugin_id", plugin)]), DEF, n, median, 2.5));
            let must_api = self.rng.int(0, PLUGIN_APIS.len() as u64 - 1) as usize;
            for (i, api) in PLUGIN_APIS.iter().enumerate() {
                if i != must_api && !self.rng.chance(0.08) {
                    continue;
                }
                let n = self.rng.log_range(100.0, 2e6) as u64;
                let median = self.rng.log_range(0.0002, 0.008);
                let ok = if self.rng.chance(0.9) {
                    "true"
                } else {
                    "false"
                };
                let l = labels(&[("plugin_id", plugin), ("api_name", api), ("success", ok)]);
                apis.push(self.hist_series(l, DEF, n, median, 2.5));
            }
        }
        self.push(
            "mattermost_plugin_hook_time",
            "Time to execute plugin hook handler in seconds.",
            Kind::Histogram,
            hooks,
        );
        self.push(
            "mattermost_plugin_multi_hook_time",
            "Time to execute multiple plugin hook handler in seconds.",
            Kind::Histogram,
            multi,
        );
        let n = self.rng.int(400_000, 900_000);
        self.histogram1(
            "mattermost_plugin_multi_hook_server_time",
            "Time for the server to execute multiple plugin hook handlers in seconds.",
            DEF,
            n,
            0.002,
            2.5,
        );
        self.push(
            "mattermost_plugin_api_time",
            "Time to execute plugin API handlers in seconds.",
            Kind::Histogram,
            apis,
        );
    }

    fn logging(&mut self) {
        let targets = ["console", "file", "notification-file"];
        let mut queue = Vec::new();
        let mut logged = Vec::new();
        let mut errors = Vec::new();
        let mut dropped = Vec::new();
        let mut blocked = Vec::new();
        for t in targets {
            let v = self.rng.int(0, 12) as f64;
            queue.push(self.gauge_series(labels(&[("target", t)]), v));
            let total = self.rng.log_range(1e5, 2e7).round();
            logged.push(self.counter_series(labels(&[("target", t)]), total));
            errors.push(self.counter_series(labels(&[("target", t)]), 0.0));
            let v = if t == "console" {
                self.rng.int(0, 50) as f64
            } else {
                0.0
            };
            dropped.push(self.counter_series(labels(&[("target", t)]), v));
            let v = self.rng.int(0, 400) as f64;
            blocked.push(self.counter_series(labels(&[("target", t)]), v));
        }
        self.push(
            "mattermost_logging_logger_queue_used",
            "Number of records in log target queue.",
            Kind::Gauge,
            queue,
        );
        self.push(
            "mattermost_logging_logger_logged_total",
            "The total number of records logged.",
            Kind::Counter,
            logged,
        );
        self.push(
            "mattermost_logging_logger_error_total",
            "The total number of logger errors.",
            Kind::Counter,
            errors,
        );
        self.push(
            "mattermost_logging_logger_dropped_total",
            "The total number of dropped log records.",
            Kind::Counter,
            dropped,
        );
        self.push(
            "mattermost_logging_logger_blocked_total",
            "The total number of log records that were blocked/delayed.",
            Kind::Counter,
            blocked,
        );
    }

    fn remote_and_shared(&mut self) {
        let remotes: Vec<String> = (0..2 * self.scale).map(|_| self.mm_id()).collect();
        let mut sent = Vec::new();
        let mut received = Vec::new();
        let mut errors = Vec::new();
        let mut ping = Vec::new();
        let mut skew = Vec::new();
        let mut state = Vec::new();
        let mut sync = Vec::new();
        let mut collection = Vec::new();
        let mut send = Vec::new();
        let mut collection_step = Vec::new();
        let mut send_step = Vec::new();
        // A ping every minute over the whole uptime.
        let pings = (self.uptime_s() / 60.0) as u64;
        for (i, r) in remotes.iter().enumerate() {
            let l = labels(&[("remote_id", r)]);
            let v = self.rng.log_range(1e4, 3e5).round();
            sent.push(self.counter_series(l.clone(), v));
            let v = self.rng.log_range(1e4, 3e5).round();
            received.push(self.counter_series(l.clone(), v));
            let v = self.rng.int(1, 30) as f64;
            let el = labels(&[("remote_id", r), ("timeout", "true")]);
            errors.push(self.counter_series(el, v));
            let med = self.rng.range(0.01, 0.06);
            ping.push(self.hist_series(l.clone(), DEF, pings, med, 4.0));
            let med = self.rng.range(0.002, 0.02);
            skew.push(self.hist_series(l.clone(), DEF, pings, med, 1.5));
            for online in ["false", "true"] {
                let v = self.rng.int(1, 6) as f64;
                let sl = labels(&[("remote_id", r), ("online", online)]);
                state.push(self.counter_series(sl, v));
            }
            let syncs = self.rng.int(5_000, 60_000);
            sync.push(self.counter_series(l.clone(), syncs as f64));
            collection.push(self.hist_series(l.clone(), DEF, syncs, 0.03, 2.0));
            send.push(self.hist_series(l.clone(), DEF, syncs, 0.08, 2.0));
            // Only remotes that share user profiles have a "users" step.
            let steps: &[&str] = if i % 2 == 0 {
                &["posts", "users"]
            } else {
                &["posts"]
            };
            for step in steps {
                let sl = labels(&[("remote_id", r), ("step", step)]);
                collection_step.push(self.hist_series(sl.clone(), DEF, syncs, 0.008, 2.0));
                send_step.push(self.hist_series(sl, DEF, syncs, 0.02, 2.0));
            }
        }
        self.push(
            "mattermost_remote_cluster_msg_sent_total",
            "Total number of messages sent to the remote cluster",
            Kind::Counter,
            sent,
        );
        self.push(
            "mattermost_remote_cluster_msg_received_total",
            "Total number of messages received from the remote cluster",
            Kind::Counter,
            received,
        );
        self.push(
            "mattermost_remote_cluster_msg_errors_total",
            "Total number of message errors",
            Kind::Counter,
            errors,
        );
        self.push(
            "mattermost_remote_cluster_ping_time",
            "The ping roundtrip times to the remote cluster",
            Kind::Histogram,
            ping,
        );
        self.push(
            "mattermost_remote_cluster_clock_skew",
            "An approximated value for clock skew between clusters",
            Kind::Histogram,
            skew,
        );
        self.push(
            "mattermost_remote_cluster_conn_state_change_total",
            "Total number of connection state changes",
            Kind::Counter,
            state,
        );
        self.push(
            "mattermost_shared_channels_sync_count",
            "Count of sync events processed for each remote",
            Kind::Counter,
            sync,
        );
        let tasks = self.rng.int(50_000, 150_000);
        self.histogram1(
            "mattermost_shared_channels_task_in_queue_duration_seconds",
            "Duration tasks spend in queue (seconds)",
            DEF,
            tasks,
            0.004,
            1.8,
        );
        let q = self.rng.int(0, 5) as f64;
        self.gauge1(
            "mattermost_shared_channels_task_queue_size",
            "Current number of tasks in queue",
            q,
        );
        self.push(
            "mattermost_shared_channels_sync_collection_duration_seconds",
            "Duration tasks spend collecting sync data (seconds)",
            Kind::Histogram,
            collection,
        );
        self.push(
            "mattermost_shared_channels_sync_send_duration_seconds",
            "Duration tasks spend sending sync data (seconds)",
            Kind::Histogram,
            send,
        );
        self.push(
            "mattermost_shared_channels_sync_collection_step_duration_seconds",
            "Duration tasks spend in each step collecting data (seconds)",
            Kind::Histogram,
            collection_step,
        );
        self.push(
            "mattermost_shared_channels_sync_send_step_duration_seconds",
            "Duration tasks spend in each step sending data (seconds)",
            Kind::Histogram,
            send_step,
        );
    }

    fn system_jobs_notifications(&mut self) {
        // SetToCurrentTime() in metrics.New(), a couple of seconds after the process started.
        let server_start = self.start_ns + self.rng.int(1_500_000_000, 4_000_000_000);
        self.gauge1(
            "mattermost_system_server_start_time",
            "The time the server started.",
            Self::ns_to_s(server_start),
        );

        let mut jobs = Vec::new();
        for t in JOB_TYPES {
            let v = if self.rng.chance(0.3) { 1.0 } else { 0.0 };
            jobs.push(self.gauge_series(labels(&[("type", t)]), v));
        }
        self.push(
            "mattermost_jobs_active",
            "Number of active jobs",
            Kind::Gauge,
            jobs,
        );

        let push_events = self.rng.log_range(2e5, 6e5);
        let sent: &[(&str, &str, f64)] = &[
            ("email", "no_platform", 0.02),
            ("push", "android", 0.38),
            ("push", "ios", 0.62),
            ("websocket", "no_platform", 3.5),
        ];
        let mut total = Vec::new();
        let mut ack = Vec::new();
        let mut success = Vec::new();
        for &(t, p, share) in sent {
            let n = (push_events * share).round();
            let l = labels(&[("type", t), ("platform", p)]);
            total.push(self.counter_series(l.clone(), n));
            if t != "email" {
                let a = (n * self.rng.range(0.85, 0.97)).round();
                ack.push(self.counter_series(l.clone(), a));
            }
            let s = (n * self.rng.range(0.97, 0.995)).round();
            success.push(self.counter_series(l, s));
        }
        let mut errors = Vec::new();
        for (t, reason, p) in [
            ("all", "fetch_error", "no_platform"),
            ("email", "email_send_error", "no_platform"),
            ("push", "push_proxy_send_error", "android"),
            ("push", "push_proxy_send_error", "ios"),
            ("push", "session_expired", "ios"),
        ] {
            let v = self.rng.int(1, 400) as f64;
            let l = labels(&[("type", t), ("reason", reason), ("platform", p)]);
            errors.push(self.counter_series(l, v));
        }
        let mut not_sent = Vec::new();
        for (t, reason, p) in [
            ("email", "user_status", "no_platform"),
            ("email", "notify_level_none", "no_platform"),
            ("push", "channel_muted", "android"),
            ("push", "channel_muted", "ios"),
            ("push", "user_is_active", "android"),
            ("push", "user_is_active", "ios"),
            ("push", "notify_level_none", "ios"),
            ("websocket", "not_mentioned", "no_platform"),
        ] {
            let v = self.rng.log_range(100.0, 2e5).round();
            let l = labels(&[("type", t), ("reason", reason), ("platform", p)]);
            not_sent.push(self.counter_series(l, v));
        }
        let mut unsupported = Vec::new();
        for (t, reason, p) in [
            ("push", "json_parse_error", "unknown"),
            ("push", "missing_profile", "android"),
        ] {
            let v = self.rng.int(1, 90) as f64;
            let l = labels(&[("type", t), ("reason", reason), ("platform", p)]);
            unsupported.push(self.counter_series(l, v));
        }
        self.push(
            "mattermost_notifications_total",
            "Total number of notification events",
            Kind::Counter,
            total,
        );
        self.push(
            "mattermost_notifications_total_ack",
            "Total number of notification events acknowledged",
            Kind::Counter,
            ack,
        );
        self.push(
            "mattermost_notifications_success",
            "Total number of successfully sent notifications",
            Kind::Counter,
            success,
        );
        self.push(
            "mattermost_notifications_error",
            "Total number of errors that stop the notification flow",
            Kind::Counter,
            errors,
        );
        self.push(
            "mattermost_notifications_not_sent",
            "Total number of notifications the system deliberately did not send",
            Kind::Counter,
            not_sent,
        );
        self.push(
            "mattermost_notifications_unsupported",
            "Total number of untrackable notifications due to an unsupported app version",
            Kind::Counter,
            unsupported,
        );
    }

    /// One histogram family over the web clients, optionally split by an extra label.
    #[allow(clippy::too_many_arguments)]
    fn web_hist(
        &mut self,
        name: &'static str,
        help: &'static str,
        bounds: &'static [f64],
        median: f64,
        shape: f64,
        clients: usize,
        extra: Option<(&'static str, &[&str])>,
    ) {
        let mut series = Vec::new();
        for &(platform, agent) in &WEB_CLIENTS[..clients] {
            let values: Vec<Option<&str>> = match extra {
                Some((_, vals)) => vals.iter().map(|v| Some(*v)).collect(),
                None => vec![None],
            };
            for v in values {
                let mut l = labels(&[
                    ("platform", platform),
                    ("agent", agent),
                    ("user_id", "<placeholder>"),
                ]);
                if let (Some((key, _)), Some(v)) = (extra, v) {
                    l.push((key, v.to_string()));
                }
                let n = self.rng.log_range(2e3, 1.2e5) as u64;
                let med = median * self.rng.jitter(0.3);
                series.push(self.hist_series(l, bounds, n, med, shape));
            }
        }
        self.push(name, help, Kind::Histogram, series);
    }

    fn webapp(&mut self) {
        let all = 2;
        self.web_hist(
            "mattermost_webapp_time_to_first_byte",
            "Duration from when a browser starts to request a page from a server until when it starts to receive data in response (seconds)",
            DEF, 0.12, 2.5, all, None,
        );
        self.web_hist(
            "mattermost_webapp_time_to_last_byte",
            "Duration from when a browser starts to request a page from a server until when it receives the last byte of the resource or immediately before the transport connection is closed, whichever comes first. (seconds)",
            DEF, 0.16, 2.5, all, None,
        );
        self.web_hist(
            "mattermost_webapp_dom_interactive",
            "Duration from when a browser starts to request a page from a server until when it sets the document's readyState to interactive. (seconds)",
            WEB_SLOW, 0.9, 2.5, all, None,
        );
        self.web_hist(
            "mattermost_webapp_splash_screen",
            "Duration from when a browser starts to request a page from a server until when the splash screen ends. (seconds)",
            WEB_SLOW, 2.1, 2.5, 2, Some(("page_type", &["channel", "team_controller"])),
        );
        self.web_hist(
            "mattermost_webapp_first_contentful_paint",
            "Duration of how long it takes for any content to be displayed on screen to a user (seconds)",
            WEB_PAINT, 0.8, 2.5, all, None,
        );
        self.web_hist(
            "mattermost_webapp_largest_contentful_paint",
            "Duration of how long it takes for large content to be displayed on screen to a user (seconds)",
            WEB_PAINT, 1.6, 2.3, 2, Some(("region", &["post", "channel_sidebar"])),
        );
        self.web_hist(
            "mattermost_webapp_interaction_to_next_paint",
            "Measure of how long it takes for a user to see the effects of clicking with a mouse, tapping with a touchscreen, or pressing a key on the keyboard (seconds)",
            DEF, 0.09, 2.2, 2, Some(("interaction", &["keyboard", "pointer"])),
        );
        self.web_hist(
            "mattermost_webapp_cumulative_layout_shift",
            "Measure of how much a page's content shifts unexpectedly",
            DEF,
            0.02,
            1.6,
            2,
            None,
        );
        let mut long_tasks = Vec::new();
        for &(platform, agent) in WEB_CLIENTS {
            let l = labels(&[
                ("platform", platform),
                ("agent", agent),
                ("user_id", "<placeholder>"),
            ]);
            let v = self.rng.log_range(1e3, 4e5).round();
            long_tasks.push(self.counter_series(l, v));
        }
        self.push(
            "mattermost_webapp_long_tasks",
            "Counter of the number of times that the browser's main UI thread is blocked for more than 50ms by a single task",
            Kind::Counter,
            long_tasks,
        );
        self.web_hist(
            "mattermost_webapp_page_load",
            "The amount of time from when the browser starts loading the web app until when the web app's load event has finished (seconds)",
            WEB_PAGE_LOAD, 2.4, 2.6, all, None,
        );
        self.web_hist(
            "mattermost_webapp_channel_switch",
            "Duration of the time taken from when a user clicks on a channel in the LHS to when posts in that channel become visible (seconds)",
            DEF, 0.22, 2.4, 2, Some(("fresh", &["false", "true"])),
        );
        self.web_hist(
            "mattermost_webapp_team_switch",
            "Duration of the time taken from when a user clicks on a team in the LHS to when posts in that team become visible (seconds)",
            DEF, 0.35, 2.4, 2, Some(("fresh", &["false", "true"])),
        );
        self.web_hist(
            "mattermost_webapp_rhs_load",
            "Duration of the time taken from when a user clicks to open a thread in the RHS until when posts in that thread become visible (seconds)",
            DEF, 0.19, 2.4, 2, None,
        );
        self.web_hist(
            "mattermost_webapp_global_threads_load",
            "Duration of the time taken from when a user clicks to open Threads in the LHS until when the global threads view becomes visible (milliseconds)",
            DEF, 0.45, 2.2, 2, None,
        );
    }

    fn mobile_desktop(&mut self) {
        let platforms = ["android", "ios"];
        let mut load = Vec::new();
        let mut channel = Vec::new();
        let mut team = Vec::new();
        for p in platforms {
            let l = labels(&[("platform", p)]);
            let n = self.rng.int(5_000, 30_000);
            load.push(self.hist_series(l.clone(), MOBILE_LOAD, n, 3.8, 3.0));
            let n = self.rng.int(50_000, 300_000);
            channel.push(self.hist_series(l.clone(), MOBILE_CHANNEL_SWITCH, n, 0.42, 4.0));
            let n = self.rng.int(2_000, 20_000);
            team.push(self.hist_series(l, MOBILE_TEAM_SWITCH, n, 0.33, 4.0));
        }
        self.push(
            "mattermost_mobileapp_mobile_load",
            "Duration of the time taken from when a user opens the app and the app finally loads all relevant information (seconds)",
            Kind::Histogram,
            load,
        );
        self.push(
            "mattermost_mobileapp_mobile_channel_switch",
            "Duration of the time taken from when a user clicks on a channel name, and the full channel sreen is loaded (seconds)",
            Kind::Histogram,
            channel,
        );
        self.push(
            "mattermost_mobileapp_mobile_team_switch",
            "Duration of the time taken from when a user clicks on a team, and the full categories screen is loaded (seconds)",
            Kind::Histogram,
            team,
        );

        let network: &[(&'static str, &'static str, &'static [f64], f64, f64)] = &[
            (
                "mattermost_mobileapp_mobile_network_requests_average_speed",
                "Average speed of network requests in megabytes per second (MBps)",
                MOBILE_SPEED,
                60_000.0,
                1.5,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_effective_latency",
                "Effective latency of network requests in seconds",
                MOBILE_LATENCY,
                0.35,
                2.0,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_elapsed_time",
                "Total elapsed time of network requests in seconds",
                MOBILE_LATENCY,
                1.3,
                2.0,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_latency",
                "Latency of network requests in seconds",
                MOBILE_LATENCY,
                0.25,
                2.0,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_total_compressed_size",
                "Total compressed size of network requests in bytes",
                MOBILE_COMPRESSED,
                3.0,
                1.5,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_total_parallel_requests",
                "Total number of parallel network requests made",
                MOBILE_REQUESTS,
                9.0,
                2.0,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_total_requests",
                "Total number of network requests made",
                MOBILE_REQUESTS,
                14.0,
                2.0,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_total_sequential_requests",
                "Total number of sequential network requests made",
                MOBILE_REQUESTS,
                4.0,
                2.0,
            ),
            (
                "mattermost_mobileapp_mobile_network_requests_total_size",
                "Total uncompressed size of network requests in bytes",
                MOBILE_SPEED,
                180_000.0,
                1.6,
            ),
        ];
        for &(name, help, bounds, median, shape) in network {
            let mut series = Vec::new();
            for p in platforms {
                let l = labels(&[
                    ("platform", p),
                    ("agent", "rn"),
                    ("network_request_group", "Cold Start"),
                ]);
                let n = self.rng.int(1_000, 25_000);
                let med = median * self.rng.jitter(0.25);
                series.push(self.hist_series(l, bounds, n, med, shape));
            }
            self.push(name, help, Kind::Histogram, series);
        }

        let mut sessions = Vec::new();
        for version in ["2.23.1", "2.24.0", "2.25.2"] {
            for p in platforms {
                for disabled in ["false", "true"] {
                    if disabled == "true" && !self.rng.chance(0.5) {
                        continue;
                    }
                    let v = if disabled == "true" {
                        self.rng.int(1, 40)
                    } else {
                        self.rng.int(20, 900)
                    };
                    let l = labels(&[
                        ("version", version),
                        ("platform", p),
                        ("notifications_disabled", disabled),
                    ]);
                    sessions.push(self.gauge_series(l, v as f64));
                }
            }
        }
        self.push(
            "mattermost_mobileapp_mobile_session_metadata",
            "The number of mobile sessions in each version, platform and whether they have the notifications disabled",
            Kind::Gauge,
            sessions,
        );

        let mut cpu = Vec::new();
        let mut memory = Vec::new();
        for (platform, version, process) in [
            ("darwin", "5.11.1", "main"),
            ("darwin", "5.11.1", "renderer"),
            ("win32", "5.10.2", "main"),
            ("win32", "5.11.1", "renderer"),
        ] {
            let l = labels(&[
                ("platform", platform),
                ("version", version),
                ("processName", process),
            ]);
            let n = self.rng.int(2_000, 40_000);
            cpu.push(self.hist_series(l.clone(), DESKTOP_CPU, n, 4.0, 1.6));
            let med = if process == "main" { 140.0 } else { 420.0 };
            memory.push(self.hist_series(l, DESKTOP_MEMORY, n, med, 3.0));
        }
        self.push(
            "mattermost_desktopapp_cpu_usage",
            "Average CPU usage of a specific process over an interval",
            Kind::Histogram,
            cpu,
        );
        self.push(
            "mattermost_desktopapp_memory_usage",
            "Memory usage in MB of a specific process",
            Kind::Histogram,
            memory,
        );
    }

    fn access_control(&mut self) {
        let n = self.rng.int(200, 3_000);
        self.histogram1(
            "mattermost_access_control_search_query_duration_seconds",
            "Duration of the time taken to query users against an expression (seconds)",
            DEF,
            n,
            0.012,
            2.0,
        );
        let n = self.rng.int(5_000, 50_000);
        self.histogram1(
            "mattermost_access_control_evaluate_duration_seconds",
            "Duration of the time taken to evaluate the access control engine (seconds)",
            DEF,
            n,
            0.0009,
            2.0,
        );
        let n = self.rng.int(50, 500);
        self.histogram1(
            "mattermost_access_control_expression_compile_duration_seconds",
            "Duration of the time taken to compile the access control engine expression (seconds)",
            DEF,
            n,
            0.0004,
            2.0,
        );
        let v = self.rng.int(0, 60) as f64;
        self.counter1(
            "mattermost_access_control_cache_invalidation_total",
            "Total number of cache invalidations",
            v,
        );
    }

    // -----------------------------------------------------------------------------------------
    // Process collector (collectors.NewProcessCollector, Namespace "mattermost")
    // -----------------------------------------------------------------------------------------

    /// Const metrics from /proc: no created timestamps.
    fn const_scalar(&mut self, name: &'static str, help: &'static str, kind: Kind, v: f64) {
        self.push(
            name,
            help,
            kind,
            vec![Series {
                labels: vec![],
                value: Value::Scalar(v),
                created: None,
            }],
        );
    }

    fn process(&mut self) {
        // utime+stime in clock ticks of 10 ms.
        let cpu_ticks = (self.uptime_s() * self.rng.range(0.6, 1.4) * 100.0) as u64;
        self.const_scalar(
            "mattermost_process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            Kind::Counter,
            cpu_ticks as f64 / 100.0,
        );
        let v = self.rng.int(700, 2_400) as f64;
        self.const_scalar(
            "mattermost_process_open_fds",
            "Number of open file descriptors.",
            Kind::Gauge,
            v,
        );
        self.const_scalar(
            "mattermost_process_max_fds",
            "Maximum number of open file descriptors.",
            Kind::Gauge,
            65536.0,
        );
        let pages = self.rng.int(1_000_000, 1_400_000);
        self.const_scalar(
            "mattermost_process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            Kind::Gauge,
            (pages * 4096) as f64,
        );
        // RLIMIT_AS unlimited: math.MaxUint64 as a float.
        self.const_scalar(
            "mattermost_process_virtual_memory_max_bytes",
            "Maximum amount of virtual memory available in bytes.",
            Kind::Gauge,
            u64::MAX as f64,
        );
        let pages = self.rng.int(300_000, 520_000);
        self.const_scalar(
            "mattermost_process_resident_memory_bytes",
            "Resident memory size in bytes.",
            Kind::Gauge,
            (pages * 4096) as f64,
        );
        // start ticks / USER_HZ + boot time: a 10 ms resolution float.
        self.const_scalar(
            "mattermost_process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            Kind::Gauge,
            (self.start_ns / 10_000_000) as f64 / 100.0,
        );
        let v = self.rng.log_range(5e10, 3e11).round();
        self.const_scalar(
            "mattermost_process_network_receive_bytes_total",
            "Number of bytes received by the process over the network.",
            Kind::Counter,
            v,
        );
        let v = self.rng.log_range(1e11, 6e11).round();
        self.const_scalar(
            "mattermost_process_network_transmit_bytes_total",
            "Number of bytes sent by the process over the network.",
            Kind::Counter,
            v,
        );
    }

    // -----------------------------------------------------------------------------------------
    // Go collector (collectors.NewGoCollector(), client_golang v1.20.x defaults)
    // -----------------------------------------------------------------------------------------

    fn go_runtime(&mut self) {
        // Pause quantiles in nanoseconds, turned into seconds like Duration.Seconds().
        let mut q_ns = [
            self.rng.int(18_000, 40_000),
            self.rng.int(45_000, 80_000),
            self.rng.int(80_000, 140_000),
            self.rng.int(140_000, 300_000),
            self.rng.int(1_000_000, 9_000_000),
        ];
        q_ns.sort_unstable();
        let gcs = self.rng.int(8_000, 30_000);
        let pause_total_ns = gcs * self.rng.int(110_000, 180_000);
        let quantiles = [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .zip(q_ns)
            .map(|(q, ns)| (*q, ns as f64 / 1e9))
            .collect();
        self.push(
            "go_gc_duration_seconds",
            "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.",
            Kind::Summary,
            vec![Series {
                labels: vec![],
                value: Value::Summ(Summ {
                    quantiles,
                    count: gcs,
                    sum: pause_total_ns as f64 / 1e9,
                }),
                created: None,
            }],
        );
        self.gauge1(
            "go_gc_gogc_percent",
            "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent",
            100.0,
        );
        self.gauge1(
            "go_gc_gomemlimit_bytes",
            "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes",
            i64::MAX as f64,
        );
        let v = self.rng.int(2_500, 6_000) as f64;
        self.gauge1(
            "go_goroutines",
            "Number of goroutines that currently exist.",
            v,
        );
        self.push(
            "go_info",
            "Information about the Go environment.",
            Kind::Gauge,
            vec![Series {
                labels: labels(&[("version", "go1.23.7")]),
                value: Value::Scalar(1.0),
                created: None,
            }],
        );

        // A consistent heap: inuse = alloc + unused, heap_sys = inuse + idle, idle >= released.
        let alloc = self.rng.int(300_000_000, 700_000_000);
        // Spans are whole 8 KiB pages, live objects are not.
        let inuse = (alloc / 8192 + self.rng.int(2_000, 7_000)) * 8192;
        let idle = self.rng.int(100_000_000, 400_000_000) / 8192 * 8192;
        let released = idle / 8192 * self.rng.int(30, 90) / 100 * 8192;
        let heap_sys = inuse + idle;
        let stack_inuse = self.rng.int(20_000, 60_000) * 1024;
        let mspan_inuse = self.rng.int(3_000_000, 9_000_000) / 160 * 160;
        let mspan_sys = mspan_inuse + self.rng.int(100_000, 900_000) / 16_320 * 16_320;
        let mcache_inuse = 9_600;
        let mcache_sys = 15_600;
        let buck_hash = self.rng.int(2_000_000, 4_000_000);
        let gc_sys = self.rng.int(14_000_000, 30_000_000);
        let other_sys = self.rng.int(2_000_000, 6_000_000);
        let sys = heap_sys + stack_inuse + mspan_sys + mcache_sys + buck_hash + gc_sys + other_sys;
        let objects = alloc / self.rng.int(90, 160);
        let mallocs = self.rng.int(3_000_000_000, 9_000_000_000);
        let frees = mallocs - objects;
        let total_alloc = mallocs * self.rng.int(140, 260);
        let next_gc = alloc * 2 - alloc / self.rng.int(5, 20);
        // Last GC a few seconds before the scrape, nanosecond resolution.
        let last_gc_ns = self.now_ns - self.rng.int(100_000_000, 9_000_000_000);

        let created = self.created_at_boot();
        let memstats: &[(&'static str, &'static str, Kind, f64)] = &[
            ("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.", Kind::Gauge, alloc as f64),
            ("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.", Kind::Counter, total_alloc as f64),
            ("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.", Kind::Gauge, buck_hash as f64),
            ("go_memstats_frees_total", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.", Kind::Counter, frees as f64),
            ("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.", Kind::Gauge, gc_sys as f64),
            ("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.", Kind::Gauge, alloc as f64),
            ("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", Kind::Gauge, idle as f64),
            ("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes", Kind::Gauge, inuse as f64),
            ("go_memstats_heap_objects", "Number of currently allocated objects. Equals to /gc/heap/objects:objects.", Kind::Gauge, objects as f64),
            ("go_memstats_heap_released_bytes", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.", Kind::Gauge, released as f64),
            ("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", Kind::Gauge, heap_sys as f64),
            ("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", Kind::Gauge, Self::ns_to_s(last_gc_ns)),
            ("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.", Kind::Counter, mallocs as f64),
            ("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.", Kind::Gauge, mcache_inuse as f64),
            ("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.", Kind::Gauge, mcache_sys as f64),
            ("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.", Kind::Gauge, mspan_inuse as f64),
            ("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.", Kind::Gauge, mspan_sys as f64),
            ("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.", Kind::Gauge, next_gc as f64),
            ("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.", Kind::Gauge, other_sys as f64),
            ("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.", Kind::Gauge, stack_inuse as f64),
            ("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.", Kind::Gauge, stack_inuse as f64),
            ("go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", Kind::Gauge, sys as f64),
        ];
        for &(name, help, kind, v) in memstats {
            // The memstats counters are real prometheus.NewCounter objects (created when the
            // collector was built); the gauges and const metrics have no created time.
            let created = if kind == Kind::Counter { created } else { None };
            self.push(
                name,
                help,
                kind,
                vec![Series {
                    labels: vec![],
                    value: Value::Scalar(v),
                    created,
                }],
            );
        }
        self.gauge1(
            "go_sched_gomaxprocs_threads",
            "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads",
            8.0,
        );
        let v = self.rng.int(40, 90) as f64;
        self.gauge1("go_threads", "Number of OS threads created.", v);
    }

    // -----------------------------------------------------------------------------------------
    // DB stats collectors (collectors.NewDBStatsCollector, one per SQL handle)
    // -----------------------------------------------------------------------------------------

    fn go_sql(&mut self) {
        const DBS: [&str; 4] = ["master", "replica-0", "replica-1", "searchreplica-0"];
        const FAMILIES: [(&str, &str, Kind); 9] = [
            (
                "go_sql_max_open_connections",
                "Maximum number of open connections to the database.",
                Kind::Gauge,
            ),
            (
                "go_sql_open_connections",
                "The number of established connections both in use and idle.",
                Kind::Gauge,
            ),
            (
                "go_sql_in_use_connections",
                "The number of connections currently in use.",
                Kind::Gauge,
            ),
            (
                "go_sql_idle_connections",
                "The number of idle connections.",
                Kind::Gauge,
            ),
            (
                "go_sql_wait_count_total",
                "The total number of connections waited for.",
                Kind::Counter,
            ),
            (
                "go_sql_wait_duration_seconds_total",
                "The total time blocked waiting for a new connection.",
                Kind::Counter,
            ),
            (
                "go_sql_max_idle_closed_total",
                "The total number of connections closed due to SetMaxIdleConns.",
                Kind::Counter,
            ),
            (
                "go_sql_max_idle_time_closed_total",
                "The total number of connections closed due to SetConnMaxIdleTime.",
                Kind::Counter,
            ),
            (
                "go_sql_max_lifetime_closed_total",
                "The total number of connections closed due to SetConnMaxLifetime.",
                Kind::Counter,
            ),
        ];
        let mut series: Vec<Vec<Series>> = vec![Vec::new(); FAMILIES.len()];
        for (db, open) in DBS.into_iter().zip(self.db_open) {
            let max_open = 300.0;
            let in_use = self.rng.int(0, open.min(12));
            let waits = if db == "master" {
                self.rng.int(0, 2_000)
            } else {
                0
            };
            // time.Duration.Seconds() of a nanosecond count.
            let wait_ns = waits * self.rng.int(200_000, 3_000_000);
            let values = [
                max_open,
                open as f64,
                in_use as f64,
                (open - in_use) as f64,
                waits as f64,
                wait_ns as f64 / 1e9,
                self.rng.log_range(1e3, 2e5).round(),
                self.rng.int(0, 5_000) as f64,
                self.rng.int(100, 4_000) as f64,
            ];
            for (i, v) in values.into_iter().enumerate() {
                series[i].push(Series {
                    labels: labels(&[("db_name", db)]),
                    value: Value::Scalar(v),
                    created: None,
                });
            }
        }
        for ((name, help, kind), s) in FAMILIES.into_iter().zip(series) {
            self.push(name, help, kind, s);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Sorts like `prometheus.Registry.Gather` (families by name, label pairs by name, series by
/// label values) and encodes the result.
fn render(mut families: Vec<Family>, format: Format) -> String {
    families.sort_by(|a, b| a.name.cmp(b.name));
    for f in &mut families {
        for s in &mut f.series {
            s.labels.sort_by(|a, b| a.0.cmp(b.0));
        }
        // internal.MetricSorter: compare label values in (sorted) label-name order.
        f.series.sort_by(|a, b| {
            a.labels.len().cmp(&b.labels.len()).then_with(|| {
                let av = a.labels.iter().map(|l| l.1.as_str());
                let bv = b.labels.iter().map(|l| l.1.as_str());
                av.cmp(bv)
            })
        });
        for w in f.series.windows(2) {
            assert!(
                w[0].labels != w[1].labels,
                "{}: duplicate series {:?}",
                f.name,
                w[0].labels
            );
        }
    }
    let mut out = String::with_capacity(1 << 20);
    for f in &families {
        match format {
            Format::Text => write_text_family(&mut out, f),
            Format::OpenMetrics => write_openmetrics_family(&mut out, f),
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

fn push_sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    s: &Series,
    extra: Option<(&str, &str)>,
    value: &str,
) {
    out.push_str(name);
    out.push_str(suffix);
    push_labels(
        out,
        s.labels.iter().map(|(k, v)| (*k, v.as_str())).chain(extra),
    );
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// `expfmt.MetricFamilyToText` (text format 0.0.4).
fn write_text_family(out: &mut String, f: &Family) {
    push_header(out, f.name, f.help, f.kind.as_str(), Format::Text);
    for s in &f.series {
        match &s.value {
            Value::Scalar(v) => push_sample(out, f.name, "", s, None, &format_go_float(*v)),
            Value::Hist(h) => {
                for (b, c) in h.bounds.iter().zip(&h.cumulative) {
                    let le = format_go_float(*b);
                    // Counts go through float64 in the text encoder: 1.234567e+06.
                    push_sample(
                        out,
                        f.name,
                        "_bucket",
                        s,
                        Some(("le", &le)),
                        &format_go_float(*c as f64),
                    );
                }
                let count = format_go_float(h.count as f64);
                push_sample(out, f.name, "_bucket", s, Some(("le", "+Inf")), &count);
                push_sample(out, f.name, "_sum", s, None, &format_go_float(h.sum));
                push_sample(out, f.name, "_count", s, None, &count);
            }
            Value::Summ(sm) => {
                for (q, v) in &sm.quantiles {
                    let q = format_go_float(*q);
                    push_sample(
                        out,
                        f.name,
                        "",
                        s,
                        Some(("quantile", &q)),
                        &format_go_float(*v),
                    );
                }
                push_sample(out, f.name, "_sum", s, None, &format_go_float(sm.sum));
                push_sample(
                    out,
                    f.name,
                    "_count",
                    s,
                    None,
                    &format_go_float(sm.count as f64),
                );
            }
        }
    }
}

/// `expfmt.MetricFamilyToOpenMetrics(..., WithCreatedLines())` from prometheus/common.
///
/// Quirks reproduced on purpose:
/// * a counter whose name ends in `_total` is announced without it (`# TYPE
///   mattermost_post counter`) and sampled with it (`mattermost_post_total`);
/// * a counter *without* `_total` (`mattermost_shared_channels_sync_count`,
///   `mattermost_notifications_success`, ...) is announced as `unknown` under its full name and
///   sampled under that name, but still gets a `<name>_created` line;
/// * counter and gauge values are floats (`12.0`), bucket and `_count` values integers;
/// * `_created` follows the `_total` sample of a counter and the `_count` sample of a
///   histogram or summary; const metrics (process, go_sql, go_gc_duration_seconds) have none;
/// * no `# UNIT` lines: client_golang only writes them with `WithUnit()` and a unit in the
///   descriptor, which none of these metrics declares.
fn write_openmetrics_family(out: &mut String, f: &Family) {
    let (family_name, type_str) = f.kind.openmetrics_family(f.name);
    let created_name = format!(
        "{}_created",
        f.name.strip_suffix("_total").unwrap_or(f.name)
    );
    push_header(out, family_name, f.help, type_str, Format::OpenMetrics);
    let created = |out: &mut String, s: &Series| {
        if let Some(c) = s.created {
            push_sample(
                out,
                &created_name,
                "",
                s,
                None,
                &format_openmetrics_float(c),
            );
        }
    };
    for s in &f.series {
        match &s.value {
            Value::Scalar(v) => {
                push_sample(out, f.name, "", s, None, &format_openmetrics_float(*v));
                if f.kind == Kind::Counter {
                    created(out, s);
                }
            }
            Value::Hist(h) => {
                for (b, c) in h.bounds.iter().zip(&h.cumulative) {
                    let le = format_openmetrics_float(*b);
                    push_sample(out, f.name, "_bucket", s, Some(("le", &le)), &c.to_string());
                }
                let count = h.count.to_string();
                push_sample(out, f.name, "_bucket", s, Some(("le", "+Inf")), &count);
                push_sample(
                    out,
                    f.name,
                    "_sum",
                    s,
                    None,
                    &format_openmetrics_float(h.sum),
                );
                push_sample(out, f.name, "_count", s, None, &count);
                created(out, s);
            }
            Value::Summ(sm) => {
                for (q, v) in &sm.quantiles {
                    let q = format_openmetrics_float(*q);
                    push_sample(
                        out,
                        f.name,
                        "",
                        s,
                        Some(("quantile", &q)),
                        &format_openmetrics_float(*v),
                    );
                }
                push_sample(
                    out,
                    f.name,
                    "_sum",
                    s,
                    None,
                    &format_openmetrics_float(sm.sum),
                );
                push_sample(out, f.name, "_count", s, None, &sm.count.to_string());
                created(out, s);
            }
        }
    }
}
