//! The searches of a committed Simple XML dashboard as they run.

/// The search a `<search>` element runs: its query, or for a post-process
/// search (`base=`) the base's search merged with it as the dashboard
/// framework merges them ([`mattermost_metrics::dashboard::merge_post_process`]).
/// None for a search without a query, or whose base is not in the document.
pub fn search_text(doc: &roxmltree::Document, s: roxmltree::Node) -> Option<String> {
    let own = s
        .children()
        .find(|c| c.has_tag_name("query"))?
        .text()
        .unwrap_or("")
        .to_string();
    match s.attribute("base") {
        None => Some(own),
        Some(id) => {
            let base = doc
                .descendants()
                .find(|n| n.has_tag_name("search") && n.attribute("id") == Some(id))?;
            Some(mattermost_metrics::dashboard::merge_post_process(
                &search_text(doc, base)?,
                &own,
            ))
        }
    }
}
