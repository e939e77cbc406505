//! Fake Graph mail reading over the `MailStore`: mail folders (`mailFolders`, `childFolders`,
//! well-known names), message listings with `$top`/`$skip` paging and `@odata.nextLink`,
//! `$select`, `$filter` (isRead, receivedDateTime), `$orderby`, the size extended property,
//! a message's MIME (`/$value`), PATCH isRead (the IMAP `\Seen` flag), move and delete.
//!
//! Folder ids are the base64url of the store's folder name; message ids also carry the
//! folder's UIDVALIDITY and the UID, so a moved message gets a new id as in Graph.

use mail_parser::{Address, MessageParser};
use serde_json::{Map, Value, json};

use super::{Need, authorize, bad_request, graph_error};
use crate::http::{Request, Response};
use crate::kit::Shared;
use crate::store::{INBOX, SENT_ITEMS, StoredMessage};
use crate::util::{b64url, b64url_decode, format_timestamp};

/// Graph's well-known folder names and the store folders they are.
const WELL_KNOWN: [(&str, &str); 6] = [
    ("inbox", INBOX),
    ("sentitems", SENT_ITEMS),
    ("deleteditems", "Deleted Items"),
    ("drafts", "Drafts"),
    ("junkemail", "Junk Email"),
    ("archive", "Archive"),
];
const DEFAULT_TOP: usize = 10;
const MAX_TOP: usize = 1000;
/// PidTagMessageSize as Graph names it in replies.
const SIZE_PROPERTY_ID: &str = "Integer 0xe08";
/// Every property the kit knows, in Graph's order; the reply without `$select`.
const PROPERTIES: [&str; 14] = [
    "receivedDateTime",
    "sentDateTime",
    "hasAttachments",
    "internetMessageId",
    "subject",
    "parentFolderId",
    "isRead",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "replyTo",
    "flag",
    "id",
];

fn not_found() -> Response {
    graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
}

fn malformed_id() -> Response {
    graph_error(400, "ErrorInvalidIdMalformed", "Id is malformed.")
}

/// Serves a read endpoint (`endpoint` are the path segments after the mailbox).
pub(super) fn handle(shared: &Shared, req: &Request, target: Option<&str>, endpoint: &[String]) -> Response {
    let segments: Vec<&str> = endpoint.iter().map(String::as_str).collect();
    let need = if req.method == "GET" { Need::Read } else { Need::Write };
    let route = match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["mailFolders"]) => Route::Folders(None),
        ("GET", ["mailFolders", folder, "childFolders"]) => Route::Folders(Some(folder)),
        ("GET", ["mailFolders", folder]) => Route::Folder(folder),
        ("GET", ["mailFolders", folder, "messages"]) => Route::List(folder),
        ("GET", ["messages", id]) => Route::Message(id),
        ("GET", ["messages", id, "$value"]) => Route::Mime(id),
        ("PATCH", ["messages", id]) => Route::Update(id),
        ("POST", ["messages", id, "move"]) => Route::Move(id),
        ("DELETE", ["messages", id]) => Route::Delete(id),
        _ => {
            let path = endpoint.join("/");
            return bad_request("BadRequest", &format!("Resource not found for the segment '{path}'."));
        }
    };
    let mailbox = match authorize(shared, req, target, need) {
        Ok(m) => m,
        Err(resp) => return resp,
    };
    let mailbox = Mailbox { shared, user: &mailbox };
    let result = match route {
        Route::Folders(parent) => mailbox.folders(req, parent),
        Route::Folder(folder) => mailbox.folder(folder).map(|name| Response::json(200, &mailbox.folder_json(&name))),
        Route::List(folder) => mailbox.list(req, folder),
        Route::Message(id) => {
            mailbox.find(id).map(|(folder, m)| Response::json(200, &mailbox.message_json(&folder, &m, None, false)))
        }
        Route::Mime(id) => mailbox.find(id).map(|(_, m)| Response::new(200, "text/plain", m.raw)),
        Route::Update(id) => mailbox.update(req, id),
        Route::Move(id) => mailbox.move_message(req, id),
        Route::Delete(id) => mailbox.find(id).map(|(folder, m)| {
            shared.store.remove(mailbox.user, &folder, m.uid);
            Response::empty(204)
        }),
    };
    result.unwrap_or_else(|resp| resp)
}

enum Route<'a> {
    Folders(Option<&'a str>),
    Folder(&'a str),
    List(&'a str),
    Message(&'a str),
    Mime(&'a str),
    Update(&'a str),
    Move(&'a str),
    Delete(&'a str),
}

type Answer = Result<Response, Response>;

struct Mailbox<'a> {
    shared: &'a Shared,
    user: &'a str,
}

fn folder_id(name: &str) -> String {
    b64url(format!("folder:{name}").as_bytes())
}

impl Mailbox<'_> {
    /// The store folder a well-known name or folder id means.
    fn folder(&self, reference: &str) -> Result<String, Response> {
        if let Some((_, name)) = WELL_KNOWN.iter().find(|(w, _)| w.eq_ignore_ascii_case(reference)) {
            return Ok(name.to_string());
        }
        let decoded = b64url_decode(reference).and_then(|b| String::from_utf8(b).ok()).ok_or_else(malformed_id)?;
        let name = decoded.strip_prefix("folder:").ok_or_else(malformed_id)?;
        if self.all_folders().iter().any(|f| f == name) { Ok(name.to_string()) } else { Err(not_found()) }
    }

    /// The store's folders and their parents (a store folder `A/B` implies `A`).
    fn all_folders(&self) -> Vec<String> {
        let mut all = std::collections::BTreeSet::new();
        for name in self.shared.store.folders(self.user) {
            let mut prefix = name.as_str();
            while let Some((parent, _)) = prefix.rsplit_once('/') {
                all.insert(parent.to_string());
                prefix = parent;
            }
            all.insert(name);
        }
        all.into_iter().collect()
    }

    fn folder_json(&self, name: &str) -> Value {
        let messages = self.shared.store.flags_snapshot(self.user, name).unwrap_or_default();
        let unread = messages.iter().filter(|(_, flags)| !flags.iter().any(|f| f == "\\Seen")).count();
        let (parent, display) = match name.rsplit_once('/') {
            Some((parent, leaf)) => (folder_id(parent), leaf.to_string()),
            None => ("msgfolderroot".to_string(), if name == INBOX { "Inbox".to_string() } else { name.to_string() }),
        };
        let children = self.all_folders().iter().filter(|f| is_child(f, Some(name))).count();
        json!({
            "id": folder_id(name), "displayName": display, "parentFolderId": parent,
            "childFolderCount": children, "totalItemCount": messages.len(), "unreadItemCount": unread,
            "isHidden": false,
        })
    }

    /// Top-level folders, or the children of one, with `$filter=displayName eq '...'`.
    fn folders(&self, req: &Request, parent: Option<&str>) -> Answer {
        let parent = parent.map(|p| self.folder(p)).transpose()?;
        let wanted = match req.query_param("$filter") {
            None => None,
            Some(filter) => Some(display_name_filter(filter).ok_or_else(|| {
                bad_request("ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
            })?),
        };
        let value: Vec<Value> = self
            .all_folders()
            .iter()
            .filter(|f| is_child(f, parent.as_deref()))
            .map(|f| self.folder_json(f))
            .filter(|f| {
                wanted.as_ref().is_none_or(|w| f["displayName"].as_str().is_some_and(|d| d.eq_ignore_ascii_case(w)))
            })
            .collect();
        Ok(Response::json(200, &json!({ "value": value })))
    }

    fn list(&self, req: &Request, folder: &str) -> Answer {
        let folder = self.folder(folder)?;
        let query = ListQuery::parse(req)?;
        let mut messages = self.shared.store.messages(self.user, &folder);
        messages.retain(|m| query.filter.iter().all(|c| c.matches(m)));
        messages.sort_by_key(|m| (m.internal_date, m.uid));
        if query.newest_first {
            messages.reverse();
        }
        let page: Vec<Value> = messages
            .iter()
            .skip(query.skip)
            .take(query.top)
            .map(|m| self.message_json(&folder, m, query.select.as_deref(), query.with_size))
            .collect();
        let mut body = json!({ "value": page });
        if query.skip + query.top < messages.len() {
            body["@odata.nextLink"] = json!(next_link(req, query.skip + query.top));
        }
        Ok(Response::json(200, &body))
    }

    /// The message an id names, with its folder.
    fn find(&self, id: &str) -> Result<(String, StoredMessage), Response> {
        let decoded = b64url_decode(id).and_then(|b| String::from_utf8(b).ok()).ok_or_else(malformed_id)?;
        let mut parts = decoded.strip_prefix("message:").ok_or_else(malformed_id)?.rsplitn(3, '\n');
        let (uid, validity, folder) = (parts.next(), parts.next(), parts.next());
        let (Some(uid), Some(validity), Some(folder)) = (uid, validity, folder) else {
            return Err(malformed_id());
        };
        let (uid, validity): (u32, u32) =
            (uid.parse().map_err(|_| malformed_id())?, validity.parse().map_err(|_| malformed_id())?);
        let current = self.shared.store.uid_info(self.user, folder).map(|(v, _)| v);
        match self.shared.store.message(self.user, folder, uid) {
            Some(m) if current == Some(validity) => Ok((folder.to_string(), m)),
            _ => Err(not_found()),
        }
    }

    /// PATCH: `isRead` maps to `\Seen`, `flag.flagStatus` to `\Flagged`.
    fn update(&self, req: &Request, id: &str) -> Answer {
        let (folder, message) = self.find(id)?;
        let body: Value = serde_json::from_slice(&req.body)
            .map_err(|e| bad_request("BadRequest", &format!("Unable to read JSON request payload: {e}")))?;
        let Some(changes) = body.as_object() else {
            return Err(bad_request("BadRequest", "Empty Payload. JSON content expected."));
        };
        let set = |flags: &mut Vec<String>, flag: &str, on: bool| {
            flags.retain(|f| f != flag);
            if on {
                flags.push(flag.to_string());
            }
        };
        let mut updates: Vec<(&str, bool)> = Vec::new();
        for (key, value) in changes {
            match (key.as_str(), value) {
                ("isRead", Value::Bool(read)) => updates.push(("\\Seen", *read)),
                ("flag", flag) if flag["flagStatus"].is_string() => {
                    updates.push(("\\Flagged", flag["flagStatus"] == "flagged"))
                }
                _ => {
                    return Err(bad_request(
                        "ErrorInvalidPropertyRequest",
                        &format!("The property '{key}' cannot be updated by the test kit."),
                    ));
                }
            }
        }
        self.shared
            .store
            .update_flags(self.user, &folder, message.uid, |flags| {
                updates.iter().for_each(|(f, on)| set(flags, f, *on))
            })
            .ok_or_else(not_found)?;
        let (folder, updated) = self.find(id)?;
        Ok(Response::json(200, &self.message_json(&folder, &updated, None, false)))
    }

    /// POST move: appends to the destination, removes the original, answers 201 with the new id.
    fn move_message(&self, req: &Request, id: &str) -> Answer {
        let (folder, message) = self.find(id)?;
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let Some(destination) = body["destinationId"].as_str() else {
            return Err(bad_request("ErrorInvalidRequest", "The 'destinationId' parameter is required."));
        };
        let destination = self.folder(destination)?;
        let flags: Vec<&str> = message.flags.iter().map(String::as_str).collect();
        let uid = self.shared.store.append_at(self.user, &destination, &message.raw, &flags, message.internal_date);
        self.shared.store.remove(self.user, &folder, message.uid);
        let moved = self.shared.store.message(self.user, &destination, uid).ok_or_else(not_found)?;
        Ok(Response::json(201, &self.message_json(&destination, &moved, None, false)))
    }
}

/// Whether store folder `name` sits directly under `parent` (None: the top level).
fn is_child(name: &str, parent: Option<&str>) -> bool {
    match (parent, name.rsplit_once('/')) {
        (None, None) => true,
        (Some(p), Some((dir, _))) => dir == p,
        _ => false,
    }
}

/// The name in `displayName eq 'Name'` (OData doubles quotes inside strings).
fn display_name_filter(filter: &str) -> Option<String> {
    let rest = filter.trim().strip_prefix("displayName")?.trim_start();
    let literal = rest.strip_prefix("eq")?.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(literal.replace("''", "'"))
}

/// The next page's URL: the same query with the new `$skip`, on the host the client used.
fn next_link(req: &Request, skip: usize) -> String {
    let mut url = url::Url::parse(&format!("https://{}", req.header("host").unwrap_or("127.0.0.1")))
        .unwrap_or_else(|_| url::Url::parse("https://127.0.0.1").expect("a valid URL"));
    url.set_path(&req.path);
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in req.query.iter().filter(|(k, _)| k != "$skip") {
            q.append_pair(k, v);
        }
        q.append_pair("$skip", &skip.to_string());
    }
    url.into()
}

/// One `$filter` clause the kit understands.
enum Clause {
    IsRead(bool),
    Received(String, i64),
}

impl Clause {
    fn property(&self) -> &str {
        match self {
            Clause::IsRead(_) => "isRead",
            Clause::Received(..) => "receivedDateTime",
        }
    }

    fn matches(&self, m: &StoredMessage) -> bool {
        match self {
            Clause::IsRead(read) => m.flags.iter().any(|f| f == "\\Seen") == *read,
            Clause::Received(op, t) => match op.as_str() {
                "ge" => m.internal_date >= *t,
                "gt" => m.internal_date > *t,
                "le" => m.internal_date <= *t,
                "lt" => m.internal_date < *t,
                _ => m.internal_date == *t,
            },
        }
    }
}

fn parse_clause(text: &str) -> Option<Clause> {
    let mut words = text.split_whitespace();
    let (property, op, value) = (words.next()?, words.next()?.to_ascii_lowercase(), words.next()?);
    if words.next().is_some() {
        return None;
    }
    match (property, op.as_str()) {
        ("isRead", "eq") => Some(Clause::IsRead(value.parse().ok()?)),
        ("receivedDateTime", "eq" | "ge" | "gt" | "le" | "lt") => {
            let t = mail_parser::DateTime::parse_rfc3339(value).filter(|d| d.is_valid())?.to_timestamp();
            Some(Clause::Received(op, t))
        }
        _ => None,
    }
}

/// The OData options of a listing.
struct ListQuery {
    top: usize,
    skip: usize,
    select: Option<Vec<String>>,
    filter: Vec<Clause>,
    newest_first: bool,
    with_size: bool,
}

impl ListQuery {
    fn parse(req: &Request) -> Result<ListQuery, Response> {
        let number = |name: &str, default: usize| -> Result<usize, Response> {
            req.query_param(name).map_or(Ok(default), |v| {
                v.parse().map_err(|_| bad_request("BadRequest", &format!("Invalid value '{v}' for {name}.")))
            })
        };
        let top = number("$top", DEFAULT_TOP)?;
        if top == 0 || top > MAX_TOP {
            return Err(bad_request("ErrorInvalidRequest", &format!("$top must be 1 to {MAX_TOP}.")));
        }
        let select = req.query_param("$select").map(|s| s.split(',').map(|p| p.trim().to_string()).collect());
        let filter = match req.query_param("$filter") {
            None => Vec::new(),
            Some(f) => f.split(" and ").map(parse_clause).collect::<Option<Vec<_>>>().ok_or_else(|| {
                bad_request("ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
            })?,
        };
        let (order_property, newest_first) = match req.query_param("$orderby") {
            None => (None, true),
            Some(order) => {
                let mut words = order.split_whitespace();
                let property = words.next().unwrap_or("");
                if property != "receivedDateTime" {
                    return Err(bad_request("ErrorInvalidProperty", &format!("Cannot order by '{property}'.")));
                }
                (Some(property), words.next().is_none_or(|d| !d.eq_ignore_ascii_case("asc")))
            }
        };
        // Exchange refuses a sort property that does not lead the filter.
        if let (Some(property), Some(first)) = (order_property, filter.first())
            && first.property() != property
        {
            return Err(bad_request(
                "InefficientFilter",
                "The restriction or sort order is too complex for this operation.",
            ));
        }
        let with_size = req.query_param("$expand").is_some_and(|e| {
            e.starts_with("singleValueExtendedProperties") && e.to_ascii_lowercase().contains("0x0e08")
        });
        Ok(ListQuery { top, skip: number("$skip", 0)?, select, filter, newest_first, with_size })
    }
}

fn iso(secs: i64) -> String {
    format_timestamp(secs).replace(' ', "T")
}

fn recipients(address: Option<&Address<'_>>) -> Value {
    let list: Vec<Value> = address
        .map(|a| a.iter())
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some(json!({"emailAddress": {"name": a.name().unwrap_or_else(|| a.address().unwrap_or("")),
                                          "address": a.address()?}}))
        })
        .collect();
    Value::Array(list)
}

fn has_attachments(parsed: &mail_parser::Message<'_>) -> bool {
    use mail_parser::MimeHeaders as _;
    parsed.attachments().any(|a| a.content_disposition().is_none_or(|d| !d.is_inline()))
}

impl Mailbox<'_> {
    fn message_id(&self, folder: &str, uid: u32) -> String {
        let validity = self.shared.store.uid_info(self.user, folder).map_or(0, |(v, _)| v);
        b64url(format!("message:{folder}\n{validity}\n{uid}").as_bytes())
    }

    /// A message resource; only the `select`ed properties (and `id`) when given.
    fn message_json(&self, folder: &str, m: &StoredMessage, select: Option<&[String]>, with_size: bool) -> Value {
        let parsed = MessageParser::default().parse(&m.raw);
        let mut all = Map::new();
        if let Some(p) = &parsed {
            all.insert("subject".into(), json!(p.subject().unwrap_or("")));
            all.insert("from".into(), recipients(p.from()).get(0).cloned().unwrap_or(Value::Null));
            all.insert("sender".into(), recipients(p.sender().or(p.from())).get(0).cloned().unwrap_or(Value::Null));
            all.insert("toRecipients".into(), recipients(p.to()));
            all.insert("ccRecipients".into(), recipients(p.cc()));
            all.insert("replyTo".into(), recipients(p.reply_to()));
            let sent = p.date().filter(|d| d.is_valid()).map_or(m.internal_date, |d| d.to_timestamp());
            all.insert("sentDateTime".into(), json!(iso(sent)));
            all.insert("hasAttachments".into(), json!(has_attachments(p)));
            all.insert("internetMessageId".into(), json!(p.message_id().map(|id| format!("<{id}>"))));
        }
        all.insert("receivedDateTime".into(), json!(iso(m.internal_date)));
        all.insert("parentFolderId".into(), json!(folder_id(folder)));
        all.insert("isRead".into(), json!(m.flags.iter().any(|f| f == "\\Seen")));
        let flagged = m.flags.iter().any(|f| f == "\\Flagged");
        all.insert("flag".into(), json!({"flagStatus": if flagged { "flagged" } else { "notFlagged" }}));
        all.insert("id".into(), json!(self.message_id(folder, m.uid)));
        let mut out = Map::new();
        out.insert("@odata.etag".into(), json!(format!("W/\"{}\"", m.flags.len())));
        for name in PROPERTIES {
            let selected = select.is_none_or(|s| name == "id" || s.iter().any(|p| p == name));
            if selected && let Some(v) = all.remove(name) {
                out.insert(name.into(), v);
            }
        }
        if with_size {
            out.insert(
                "singleValueExtendedProperties".into(),
                json!([{"id": SIZE_PROPERTY_ID, "value": m.raw.len().to_string()}]),
            );
        }
        Value::Object(out)
    }
}
