//! Reading mail over Microsoft Graph: listing a folder page by page
//! (`@odata.nextLink`), fetching a message's MIME (`/$value`), marking it
//! read, moving and deleting it.
//!
//! Graph ids are strings, so summaries carry them in `MessageSummary::id`
//! (their `uid` is 0). Graph has no `size` property on v1.0; the size comes
//! from the extended MAPI property PidTagMessageSize (`Integer 0x0E08`).

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use url::Url;

use super::{Access, GraphMailClient, map_graph_error};
use crate::http::{HttpResponse, RetryPolicy, map_reqwest_error};
use crate::summary::{MailAddress, MessageSummary};
use crate::{AccessToken, Error, ErrorKind, Result};

/// The summary fields a listing asks for.
const SUMMARY_FIELDS: &str = "id,subject,from,toRecipients,ccRecipients,receivedDateTime,sentDateTime,isRead,flag,\
                              hasAttachments,internetMessageId";
/// PidTagMessageSize as a Graph extended property, the only source of a size.
const SIZE_EXPAND: &str = "singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')";
/// Graph's well-known folder names (case-insensitive); other names are display names.
const WELL_KNOWN_FOLDERS: [&str; 12] = [
    "inbox",
    "sentitems",
    "deleteditems",
    "drafts",
    "junkemail",
    "archive",
    "outbox",
    "clutter",
    "conversationhistory",
    "scheduled",
    "searchfolders",
    "recoverableitemsdeletions",
];
/// What a MIME download is called in errors and logs.
const FETCH: &str = "Microsoft Graph fetch message";
/// Graph allows at most 1000 messages per page.
const MAX_PAGE_SIZE: usize = 1000;

/// What [`GraphMailClient::list_messages`] lists.
#[derive(Clone, Debug)]
pub struct GraphListOptions {
    /// At most this many messages, newest first.
    pub limit: Option<usize>,
    pub unread_only: bool,
    /// Only messages received at or after this time.
    pub since: Option<SystemTime>,
    /// Messages per request (`$top`, 1 to 1000).
    pub page_size: usize,
}

impl Default for GraphListOptions {
    fn default() -> Self {
        GraphListOptions { limit: None, unread_only: false, since: None, page_size: 100 }
    }
}

/// A listing fetched page by page with [`GraphMailClient::next_page`].
#[derive(Clone, Debug)]
pub struct GraphMessagePages {
    /// The next page's URL (Graph's `@odata.nextLink` after the first).
    next: Option<Url>,
    /// Messages still wanted under the limit.
    remaining: Option<usize>,
}

impl GraphMailClient {
    /// Summaries of a folder's messages, newest first, following Graph's
    /// paging. `folder` is a well-known name (`inbox`, `sentitems`, ...) or
    /// a display name (`Projects/2026` for a subfolder).
    pub fn list_messages(&self, folder: &str, options: &GraphListOptions) -> Result<Vec<MessageSummary>> {
        let mut pages = self.pages(folder, options)?;
        let mut out = Vec::new();
        while let Some(page) = self.next_page(&mut pages)? {
            out.extend(page);
        }
        Ok(out)
    }

    /// Starts a listing; nothing is fetched until [`Self::next_page`].
    pub fn pages(&self, folder: &str, options: &GraphListOptions) -> Result<GraphMessagePages> {
        if options.page_size == 0 || options.page_size > MAX_PAGE_SIZE {
            return Err(Error::config(format!("the Graph page size must be 1 to {MAX_PAGE_SIZE}")));
        }
        let folder_id = self.folder_id(folder)?;
        let top = options.limit.map_or(options.page_size, |l| l.min(options.page_size)).max(1);
        let mut url = self.url(&["mailFolders", &folder_id, "messages"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("$select", SUMMARY_FIELDS);
            q.append_pair("$expand", SIZE_EXPAND);
            q.append_pair("$top", &top.to_string());
            q.append_pair("$orderby", "receivedDateTime desc");
            if let Some(filter) = list_filter(options)? {
                q.append_pair("$filter", &filter);
            }
        }
        let next = (options.limit != Some(0)).then_some(url);
        Ok(GraphMessagePages { next, remaining: options.limit })
    }

    /// The next page of a listing; `None` once it is done.
    pub fn next_page(&self, pages: &mut GraphMessagePages) -> Result<Option<Vec<MessageSummary>>> {
        let Some(url) = pages.next.take() else { return Ok(None) };
        let page = self.get_json("list messages", &url)?;
        let mut items: Vec<MessageSummary> =
            page["value"].as_array().map(|v| v.iter().map(summary).collect()).unwrap_or_default();
        if let Some(remaining) = pages.remaining.as_mut() {
            items.truncate(*remaining);
            *remaining -= items.len();
        }
        if pages.remaining != Some(0)
            && let Some(link) = page["@odata.nextLink"].as_str()
        {
            pages.next = Some(self.same_origin(link)?);
        }
        Ok(Some(items))
    }

    /// The whole message as RFC 5322 bytes (`GET .../messages/{id}/$value`).
    pub fn fetch_message(&self, id: &str) -> Result<Vec<u8>> {
        let url = self.message_url(id, Some("$value"))?;
        let resp =
            self.call("fetch message", Access::Read, |c, token| c.get(url.as_str()).bearer_auth(expose(token)))?;
        Ok(resp.body)
    }

    /// Streams the message's MIME into `out` without holding it in memory.
    /// Retried like other reads until the first byte arrives, never after.
    pub fn fetch_message_to(&self, id: &str, out: &mut dyn Write) -> Result<()> {
        let url = self.message_url(id, Some("$value"))?;
        let mut resp = self.open_stream(&url)?;
        resp.copy_to(out).map_err(|e| map_reqwest_error(FETCH, e))?;
        out.flush().map_err(|e| Error::io("cannot write the message", e))
    }

    /// Sends the GET until its reply starts with a 2xx status: a 401 gets one
    /// fresh token; 429, 5xx and failed connections are retried per the read policy.
    fn open_stream(&self, url: &Url) -> Result<reqwest::blocking::Response> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::closed("Graph mail client"));
        }
        let policy = self.read_http.retry_policy();
        let scopes = [self.config.scope.as_str()];
        let mut token = self.credential.get_token(&scopes)?;
        let (start, mut attempt, mut refreshed) = (Instant::now(), 1, false);
        loop {
            let (err, retryable, retry_after) =
                match self.read_http.inner().get(url.as_str()).bearer_auth(expose(&token)).send() {
                    Ok(resp) if resp.status().is_success() => return Ok(resp),
                    Ok(resp) if resp.status().as_u16() == 401 && !refreshed => {
                        token = self.credential.get_fresh_token(&scopes)?;
                        refreshed = true;
                        continue;
                    }
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let headers = resp.headers().clone();
                        let body = resp.bytes().map(|b| b.to_vec()).unwrap_or_default();
                        let resp = HttpResponse { status, headers, body };
                        let retry_after = resp.retry_after();
                        (
                            map_graph_error(&resp, "fetch message", Access::Read),
                            RetryPolicy::is_retryable_status(status),
                            retry_after,
                        )
                    }
                    Err(e) => {
                        let err = map_reqwest_error(FETCH, e);
                        let retryable = err.kind() == ErrorKind::Network;
                        (err, retryable, None)
                    }
                };
            let delay = policy.delay(attempt, retry_after);
            if !retryable
                || attempt >= policy.max_attempts
                || start.elapsed().saturating_add(delay) > policy.max_elapsed
            {
                return Err(err);
            }
            tracing::debug!(attempt, error = %err, "retrying the Graph MIME download");
            std::thread::sleep(delay);
            attempt += 1;
        }
    }

    /// Sets or clears the message's read state (`PATCH isRead`; IMAP's `\Seen`).
    pub fn mark_read(&self, id: &str, read: bool) -> Result<()> {
        let url = self.message_url(id, None)?;
        let body = json!({ "isRead": read }).to_string();
        self.call("mark read", Access::Write, |c, token| {
            c.patch(url.as_str()).bearer_auth(expose(token)).header(CONTENT_TYPE, "application/json").body(body.clone())
        })?;
        Ok(())
    }

    /// Moves the message to `destination` (a well-known or display name);
    /// returns its new id, as Graph gives a moved message a new one.
    pub fn move_message(&self, id: &str, destination: &str) -> Result<String> {
        let url = self.message_url(id, Some("move"))?;
        let body = json!({ "destinationId": self.folder_id(destination)? }).to_string();
        let resp = self.call("move message", Access::Write, |c, token| {
            c.post(url.as_str()).bearer_auth(expose(token)).header(CONTENT_TYPE, "application/json").body(body.clone())
        })?;
        let moved: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        moved["id"].as_str().map(str::to_owned).ok_or_else(|| Error::protocol("Graph's move reply has no message id"))
    }

    /// Deletes the message (Graph moves it to Recoverable Items).
    pub fn delete_message(&self, id: &str) -> Result<()> {
        let url = self.message_url(id, None)?;
        self.call("delete message", Access::Write, |c, token| c.delete(url.as_str()).bearer_auth(expose(token)))?;
        Ok(())
    }

    /// A folder id for a well-known name as it is; display names are looked up
    /// level by level (`Parent/Child`).
    fn folder_id(&self, folder: &str) -> Result<String> {
        let folder = folder.trim();
        if folder.is_empty() {
            return Err(Error::config("the folder name is empty"));
        }
        if let Some(known) = WELL_KNOWN_FOLDERS.iter().find(|k| k.eq_ignore_ascii_case(folder)) {
            return Ok((*known).to_owned());
        }
        let mut parent: Option<String> = None;
        for name in folder.split('/') {
            let mut url = match &parent {
                None => self.url(&["mailFolders"]),
                Some(id) => self.url(&["mailFolders", id, "childFolders"]),
            };
            url.query_pairs_mut()
                .append_pair("$filter", &format!("displayName eq '{}'", name.replace('\'', "''")))
                .append_pair("$select", "id,displayName");
            let found = self.get_json("find folder", &url)?;
            let id = found["value"].as_array().and_then(|v| v.first()).and_then(|f| f["id"].as_str());
            let Some(id) = id else {
                return Err(Error::config(format!("the mailbox has no folder '{folder}'"))
                    .with_code("ErrorItemNotFound")
                    .with_hint("Use a well-known name (inbox, sentitems, drafts, deleteditems, junkemail, archive) or a folder's display name."));
            };
            parent = Some(id.to_owned());
        }
        parent.ok_or_else(|| Error::config(format!("the mailbox has no folder '{folder}'")))
    }

    fn get_json(&self, what: &str, url: &Url) -> Result<Value> {
        let resp = self.call(what, Access::Read, |c, token| {
            c.get(url.as_str()).bearer_auth(expose(token)).header(ACCEPT, "application/json")
        })?;
        serde_json::from_slice(&resp.body)
            .map_err(|e| Error::protocol(format!("Microsoft Graph {what}: the reply is not JSON")).with_source(e))
    }

    /// `{base}/users/{mailbox}/` followed by `segments`, each escaped.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.user_url.clone();
        // The base URL was checked in `new` to take path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }

    fn message_url(&self, id: &str, action: Option<&str>) -> Result<Url> {
        if id.trim().is_empty() || id.chars().any(char::is_control) {
            return Err(Error::config("the Graph message id is empty or invalid")
                .with_hint("Use the id that list_messages gives."));
        }
        Ok(match action {
            Some(action) => self.url(&["messages", id, action]),
            None => self.url(&["messages", id]),
        })
    }

    /// A paging link, accepted only on the Graph origin our token is for.
    fn same_origin(&self, link: &str) -> Result<Url> {
        let url =
            Url::parse(link).map_err(|e| Error::protocol("Graph gave an invalid @odata.nextLink").with_source(e))?;
        if url.origin() != self.user_url.origin() {
            return Err(Error::protocol(format!(
                "Graph's @odata.nextLink points to another server ({}); the token is not sent there",
                url.origin().ascii_serialization()
            )));
        }
        Ok(url)
    }
}

fn expose(token: &AccessToken) -> &str {
    token.token().expose()
}

/// `$filter` for the options. Graph requires the `$orderby` property
/// (`receivedDateTime`) to come first in a filter, so it is always there.
fn list_filter(options: &GraphListOptions) -> Result<Option<String>> {
    if options.since.is_none() && !options.unread_only {
        return Ok(None);
    }
    let since = match options.since {
        Some(t) => {
            let secs = t.duration_since(UNIX_EPOCH).map_err(|_| Error::config("'since' is before 1970"))?.as_secs();
            let secs = i64::try_from(secs).map_err(|_| Error::config("'since' is too far in the future"))?;
            mail_parser::DateTime::from_timestamp(secs).to_rfc3339()
        }
        None => "1900-01-01T00:00:00Z".to_owned(),
    };
    let mut filter = format!("receivedDateTime ge {since}");
    if options.unread_only {
        filter.push_str(" and isRead eq false");
    }
    Ok(Some(filter))
}

/// A Graph message resource as a summary (`uid` 0, `id` set).
fn summary(m: &Value) -> MessageSummary {
    let address = |v: &Value| -> Option<MailAddress> {
        let a = &v["emailAddress"];
        Some(MailAddress {
            name: a["name"].as_str().filter(|n| !n.is_empty()).map(str::to_owned),
            address: a["address"].as_str()?.to_owned(),
        })
    };
    let list = |key: &str| m[key].as_array().map(|v| v.iter().filter_map(address).collect()).unwrap_or_default();
    let time = |key: &str| {
        m[key]
            .as_str()
            .and_then(mail_parser::DateTime::parse_rfc3339)
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp())
    };
    let mut flags = Vec::new();
    if m["isRead"].as_bool() == Some(true) {
        flags.push("\\Seen".to_owned());
    }
    if m["flag"]["flagStatus"].as_str() == Some("flagged") {
        flags.push("\\Flagged".to_owned());
    }
    let size = m["singleValueExtendedProperties"]
        .as_array()
        .and_then(|props| {
            props.iter().find(|p| p["id"].as_str().is_some_and(|id| id.to_ascii_lowercase().ends_with("0xe08")))
        })
        .and_then(|p| p["value"].as_str().and_then(|v| v.parse().ok()).or_else(|| p["value"].as_u64()))
        .unwrap_or(0);
    MessageSummary {
        uid: 0,
        id: m["id"].as_str().map(str::to_owned),
        subject: m["subject"].as_str().unwrap_or_default().to_owned(),
        from: address(&m["from"]),
        to: list("toRecipients"),
        cc: list("ccRecipients"),
        date: time("sentDateTime").or_else(|| time("receivedDateTime")),
        size,
        flags,
        message_id: m["internetMessageId"]
            .as_str()
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_owned()),
        has_attachments: m["hasAttachments"].as_bool().unwrap_or(false),
        uidl: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::{ErrorKind, GraphConfig, StaticTokenCredential};

    fn client() -> GraphMailClient {
        let mut cfg = GraphConfig::new("a@example.test");
        cfg.base_url = "https://127.0.0.1:8443/v1.0".into();
        GraphMailClient::new(cfg, Arc::new(StaticTokenCredential::new("t", None).unwrap())).unwrap()
    }

    #[test]
    fn message_resources_become_summaries() {
        let m = json!({
            "id": "AAMkAD=", "subject": "Test测试邮件标题", "isRead": true, "hasAttachments": true,
            "flag": {"flagStatus": "flagged"}, "internetMessageId": "<abc@example.test>",
            "receivedDateTime": "2023-11-14T22:13:25Z", "sentDateTime": "2023-11-14T22:13:20Z",
            "from": {"emailAddress": {"name": "Zoë", "address": "zoe@example.test"}},
            "toRecipients": [{"emailAddress": {"name": "", "address": "bob@example.test"}}],
            "singleValueExtendedProperties": [{"id": "Integer 0xe08", "value": "2048"}],
        });
        let s = summary(&m);
        assert_eq!((s.uid, s.id.as_deref(), s.size), (0, Some("AAMkAD="), 2048));
        assert_eq!(s.subject, "Test测试邮件标题");
        assert_eq!(s.from.unwrap().to_string(), "Zoë <zoe@example.test>");
        assert_eq!(s.to, [MailAddress { name: None, address: "bob@example.test".into() }]);
        assert_eq!(s.date, Some(1_700_000_000));
        assert_eq!(s.flags, ["\\Seen", "\\Flagged"]);
        assert_eq!(s.message_id.as_deref(), Some("abc@example.test"));
        assert!(s.has_attachments);
        let json = serde_json::to_value(summary(&json!({"id": "x"}))).unwrap();
        assert_eq!(json["id"], "x");
        assert_eq!(json["size"], 0);
    }

    #[test]
    fn filters_put_the_order_property_first() {
        assert_eq!(list_filter(&GraphListOptions::default()).unwrap(), None);
        let unread = GraphListOptions { unread_only: true, ..GraphListOptions::default() };
        assert_eq!(
            list_filter(&unread).unwrap().unwrap(),
            "receivedDateTime ge 1900-01-01T00:00:00Z and isRead eq false"
        );
        let since = GraphListOptions {
            since: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            ..GraphListOptions::default()
        };
        assert_eq!(list_filter(&since).unwrap().unwrap(), "receivedDateTime ge 2023-11-14T22:13:20Z");
    }

    #[test]
    fn urls_are_escaped_and_links_stay_on_the_graph_origin() {
        let c = client();
        assert_eq!(
            c.message_url("a/b c", Some("$value")).unwrap().as_str(),
            "https://127.0.0.1:8443/v1.0/users/a@example.test/messages/a%2Fb%20c/$value"
        );
        assert_eq!(c.message_url(" ", None).unwrap_err().kind(), ErrorKind::Config);
        assert!(c.same_origin("https://127.0.0.1:8443/v1.0/users/x/messages?$skip=10").is_ok());
        assert_eq!(c.same_origin("https://evil.example/v1.0/x").unwrap_err().kind(), ErrorKind::Protocol);
        assert_eq!(c.folder_id("Inbox").unwrap(), "inbox");
        let zero = GraphListOptions { page_size: 0, ..GraphListOptions::default() };
        assert_eq!(c.pages("inbox", &zero).unwrap_err().kind(), ErrorKind::Config);
    }
}
