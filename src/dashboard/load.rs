//! One load of a dashboard: every search it dispatches and how each panel,
//! hidden variable and input gets its results (issue 17).
//!
//! The XML writer ([`super::xml`]) writes exactly this, and the harness
//! runs exactly this ([`Load::search_of`]), so what is counted, costed and
//! compared with Prometheus is what Splunk would dispatch.
//!
//! - One **span search** (`| makeresults`, no data read) sets the span and
//!   range tokens, and is the dashboard's only refresh: it runs again every
//!   [`REFRESH_S`] seconds, and a search whose text or range uses a token it
//!   changed runs again. Charts start at `$chart_earliest$`, which moves once
//!   per span as a relative range moves (a new whole bucket); every other
//!   search carries the same token in a comment ([`refresh_comment`]). So no
//!   search runs more often than its span (at least the input's interval,
//!   `mattermost_metrics_min_span`), and a fixed time range never runs again.
//! - **Probes** ([`super::sources`]): one cheap `mcatalog` per kind of
//!   endpoint the dashboard reads (it doubles as the node list of that
//!   endpoint's input), whose result count shows or hides the panels of that
//!   kind and an empty-state line.
//! - One **restart annotation** search, shared by every chart as a
//!   post-process search.
//! - Panels and hidden variable searches, sharing scans ([`super::share`]).

use std::collections::BTreeSet;

use anyhow::Result;

use super::share::{self, Shared};
use super::sources::{self, Source};
use super::{Spec, VariableKind, CHART_EARLIEST_TOKEN, NODE_TOKEN, SPAN_TOKEN};

/// How often the span search runs again, in seconds: the input's default
/// interval (data cannot change faster). Searches follow only when a token
/// they use changed, i.e. once per span.
pub const REFRESH_S: u64 = 60;

/// Where a search's time range starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Range {
    /// The time picker's range.
    Picker,
    /// From `$chart_earliest$` to the picker's latest (a chart: whole
    /// buckets, [`super::whole_buckets_stage`]).
    Chart,
}

/// What a dispatched search is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The span and range tokens.
    Span,
    /// Whether a kind of endpoint has data, and its nodes.
    Probe(&'static Source),
    /// The restart annotations of every chart.
    Restarts,
    /// A scan shared by several searches (post-process searches on it).
    Base,
    /// A hidden search that sets a query variable's token.
    Variable(String),
    /// The choices of an input (not a probe).
    Choices(String),
    /// A panel's own search (index into `spec.panels()`).
    Panel(usize),
}

/// A search one load dispatches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// The `id` of a search outside any panel or input; None for a panel's
    /// or input's own search.
    pub id: Option<String>,
    pub role: Role,
    pub query: String,
    pub range: Range,
}

/// How a panel, variable or input gets its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// Its own search: index into [`Load::dispatches`].
    Own(usize),
    /// A post-process search on dispatch `base`.
    Post { base: usize, query: String },
}

/// One load of a dashboard.
#[derive(Debug, Clone)]
pub struct Load {
    pub dispatches: Vec<Dispatch>,
    /// Per panel, in the order of `spec.panels()`.
    pub panels: Vec<Run>,
    /// Per panel: the kind of endpoint it reads.
    pub panel_sources: Vec<&'static Source>,
    /// Per query variable (by name).
    pub variables: Vec<(String, Run)>,
    /// Per `nodes`/`values` variable (by name): its input's choices.
    pub choices: Vec<(String, Run)>,
    /// The probes, in order: (kind, dispatch index).
    pub probes: Vec<(&'static Source, usize)>,
    /// The restart annotations, if any chart draws them.
    pub restarts: Option<usize>,
    /// Whether each panel is a time chart with restart flags.
    pub flagged: Vec<bool>,
}

/// The comment that makes a search run again when the span search moves
/// the range (see the module's doc): Search Manual, "Add comments to
/// searches" (three backquotes before and after).
pub fn refresh_comment() -> String {
    format!("\n```runs again with each new bucket: ${CHART_EARLIEST_TOKEN}$```")
}

/// The search a Simple XML post-process search (`<search base=...>`) runs
/// as: a post-process dispatches no job of its own; the dashboard framework
/// fetches the base job's results with this merge of the base search and
/// the post-process as the `search` parameter.
///
/// Source: Splunk's public splunkjs `postprocessmanager`, `mergeSearch`
/// (splunk/splunk-webframework at commit
/// 11334e5ef54ef38cc9f0a9e72d09ee3e21dc4e98,
/// `server/static/splunkjs/mvc.js` lines 66246-66251; the same function in
/// `server/static/splunkjs/mvc/simplexml.js` line 7126); reference:
/// `splunk-search-semantics.md`, section 5.6. The
/// merge is `base.replace(/[\|\s]$/g,'') + ' | ' + sub.replace(/^[\|\s]/g,'')`,
/// and an empty post-process (`!sub`) gives the base search unchanged.
///
/// JavaScript semantics: without the `m` flag `^` and `$` anchor only at
/// the start and end of the whole string, so at most one character -- a
/// `|` or a white-space character -- goes from the end of the base and one
/// from the start of the post-process; `\s` is JavaScript's white space
/// ([`js_space`]).
pub fn merge_post_process(base: &str, post: &str) -> String {
    if post.is_empty() {
        return base.to_string();
    }
    let cut = |c: char| c == '|' || js_space(c);
    let base = match base.chars().next_back() {
        Some(c) if cut(c) => &base[..base.len() - c.len_utf8()],
        _ => base,
    };
    let post = match post.chars().next() {
        Some(c) if cut(c) => &post[c.len_utf8()..],
        _ => post,
    };
    format!("{base} | {post}")
}

/// JavaScript's `\s` (ECMAScript, CharacterClassEscape: WhiteSpace and
/// LineTerminator): tab, vertical tab, form feed, space, U+00A0, U+FEFF and
/// the other space separators (category Zs: U+1680, U+2000-U+200A, U+202F,
/// U+205F, U+3000), line feed, carriage return, U+2028 and U+2029. Unlike
/// Rust's `char::is_whitespace` it holds U+FEFF and not U+0085.
fn js_space(c: char) -> bool {
    // WhiteSpace: tab, VT, FF, space, NBSP, ZWNBSP and the Zs outside the
    // range below; LineTerminator: LF, CR, LS, PS.
    const SPACES: &[char] = &[
        '\t', '\u{b}', '\u{c}', ' ', '\u{a0}', '\u{feff}', '\u{1680}', '\u{202f}', '\u{205f}',
        '\u{3000}', '\n', '\r', '\u{2028}', '\u{2029}',
    ];
    SPACES.contains(&c) || ('\u{2000}'..='\u{200a}').contains(&c)
}

impl Load {
    /// The search `run` amounts to, and its range.
    pub fn search_of(&self, run: &Run) -> (String, Range) {
        match run {
            Run::Own(i) => (self.dispatches[*i].query.clone(), self.dispatches[*i].range),
            Run::Post { base, query } => {
                let b = &self.dispatches[*base];
                (merge_post_process(&b.query, query), b.range)
            }
        }
    }

    /// Whether some search of the load (its text or its range) uses
    /// `$token$`.
    pub fn uses_token(&self, token: &str) -> bool {
        let t = format!("${token}$");
        let posts = self
            .panels
            .iter()
            .chain(self.variables.iter().map(|(_, r)| r))
            .chain(self.choices.iter().map(|(_, r)| r))
            .filter_map(|r| match r {
                Run::Post { query, .. } => Some(query),
                Run::Own(_) => None,
            });
        self.dispatches.iter().any(|d| {
            d.query.contains(&t) || (d.range == Range::Chart && token == CHART_EARLIEST_TOKEN)
        }) || posts.into_iter().any(|q| q.contains(&t))
    }

    /// A panel's search as it runs ([`Load::search_of`]).
    pub fn panel_search(&self, panel: usize) -> (String, Range) {
        self.search_of(&self.panels[panel])
    }

    /// A query variable's hidden search as it runs.
    pub fn variable_search(&self, name: &str) -> Option<(String, Range)> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| self.search_of(r))
    }
}

impl Spec {
    /// This dashboard's searches for one load.
    pub fn load_plan(&self) -> Result<Load> {
        let mut dispatches: Vec<Dispatch> = Vec::new();
        dispatches.push(Dispatch {
            id: Some("span_search".into()),
            role: Role::Span,
            query: "| makeresults\n| addinfo\n| `mattermost_metrics_span`".into(),
            range: Range::Picker,
        });

        let queries = self
            .panels()
            .map(|p| self.panel_query(p))
            .collect::<Result<Vec<_>>>()?;
        let panel_sources: Vec<&'static Source> =
            queries.iter().map(|q| sources::of_search(&q.spl)).collect();

        // The probes: one per kind of endpoint read, the node list of its
        // input where the dashboard has one.
        let used: BTreeSet<&'static str> = panel_sources.iter().map(|s| s.id).collect();
        let mut probes = Vec::new();
        let mut choices = Vec::new();
        for s in sources::SOURCES.iter().filter(|s| used.contains(s.id)) {
            let nodes = self
                .variables
                .iter()
                .find(|v| v.kind == VariableKind::Nodes && sources::of_nodes(v) == s.id);
            let query = match nodes {
                Some(v) => self.choices_search(v).unwrap_or_default(),
                None => sources::probe(s),
            };
            probes.push((s, dispatches.len()));
            if let Some(v) = nodes {
                choices.push((
                    v.name.clone(),
                    Run::Post {
                        base: dispatches.len(),
                        query: format!("| fields host {}", super::CHOICE_VALUE),
                    },
                ));
            }
            dispatches.push(Dispatch {
                id: Some(format!("probe_{}", s.id)),
                role: Role::Probe(s),
                query,
                range: Range::Picker,
            });
        }
        for v in &self.variables {
            if choices.iter().any(|(n, _)| *n == v.name) {
                continue;
            }
            if let Some(q) = self.choices_search(v) {
                choices.push((v.name.clone(), Run::Own(dispatches.len())));
                dispatches.push(Dispatch {
                    id: None,
                    role: Role::Choices(v.name.clone()),
                    query: q,
                    range: Range::Picker,
                });
            }
        }

        // Restart flags on the server's time charts: one search.
        let flagged: Vec<bool> = self
            .panels()
            .map(|p| !p.kind.reduces() && self.instance_ports.is_empty())
            .collect();
        let restarts = flagged.iter().any(|f| *f).then(|| {
            let filter = match self.node_variable() {
                Some(_) => format!("\n| search ${NODE_TOKEN}$"),
                None => String::new(),
            };
            dispatches.push(Dispatch {
                id: Some("restarts".into()),
                role: Role::Restarts,
                query: format!(
                    "| `mattermost_metrics_restarts(${SPAN_TOKEN}$)`{filter}{}",
                    refresh_comment()
                ),
                range: Range::Picker,
            });
            dispatches.len() - 1
        });

        // Panels and hidden variable searches, sharing scans.
        let mut shareable: Vec<(Range, String)> = Vec::new();
        let query_vars: Vec<&super::Variable> = self
            .variables
            .iter()
            .filter(|v| v.kind == VariableKind::Query)
            .collect();
        for v in &query_vars {
            shareable.push((Range::Picker, self.variable_search(v)?));
        }
        for q in &queries {
            let range = if q.from_chart_earliest {
                Range::Chart
            } else {
                Range::Picker
            };
            shareable.push((range, q.spl.clone()));
        }
        let (bases, uses) = share::share(&shareable);
        let first_base = dispatches.len();
        for (range, query) in bases {
            dispatches.push(Dispatch {
                id: Some(format!("scan_{}", dispatches.len() - first_base + 1)),
                role: Role::Base,
                query: with_refresh(query, range),
                range,
            });
        }
        let mut runs = Vec::new();
        for (k, u) in uses.into_iter().enumerate() {
            let range = shareable[k].0;
            let role = match query_vars.get(k) {
                Some(v) => Role::Variable(v.name.clone()),
                None => Role::Panel(k - query_vars.len()),
            };
            runs.push(match u {
                Shared::Alone(query) => {
                    let id = match &role {
                        Role::Variable(n) => Some(format!("{n}_search")),
                        _ => None,
                    };
                    dispatches.push(Dispatch {
                        id,
                        role,
                        query: with_refresh(query, range),
                        range,
                    });
                    Run::Own(dispatches.len() - 1)
                }
                Shared::Post { base, query } => Run::Post {
                    base: first_base + base,
                    query,
                },
            });
        }
        let panels = runs.split_off(query_vars.len());
        let variables = query_vars
            .iter()
            .map(|v| v.name.clone())
            .zip(runs)
            .collect();
        Ok(Load {
            dispatches,
            panels,
            panel_sources,
            variables,
            choices,
            probes,
            restarts,
            flagged,
        })
    }
}

/// A search over the picker's range runs again with each new bucket
/// through a comment naming `$chart_earliest$`; a chart's range names it
/// already.
fn with_refresh(query: String, range: Range) -> String {
    match range {
        Range::Chart => query,
        Range::Picker => query + &refresh_comment(),
    }
}
