//! The HTTP side of `serve`: files from the in-memory build, the live-reload channel
//! (server-sent events at `/__opsbook/reload`), and the guards: a request whose Host is not this
//! server (DNS rebinding), a reload connection from a foreign Origin, or a path that tries to
//! leave the site is refused.

use super::{Notice, Shared};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use foldhash::fast::FixedState;
use std::convert::Infallible;
use std::hash::BuildHasher;
use std::sync::Arc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

const LIVE_JS: &str = include_str!("live.js");
const INJECT: &str = "<script src=\"/__opsbook/live.js\" defer></script>";

pub async fn serve(listener: std::net::TcpListener, shared: Arc<Shared>) -> Result<(), String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
    let app = Router::new()
        .route("/__opsbook/live.js", get(live_js))
        .route("/__opsbook/reload", get(reload))
        .route("/__opsbook/status", get(status))
        .fallback(file)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}

/// A `Host` value or an origin's authority split exactly into its host (lower-cased) and port:
/// `name`, an IPv4 address or a bracketed IPv6 address, then nothing or `:` and a port number.
/// `None` for anything else (`localhost:evil`, `127.0.0.1:1@evil.example`, a path, spaces
/// inside).
fn authority(value: &str) -> Option<(String, Option<u16>)> {
    let v = value.trim_matches([' ', '\t']).to_ascii_lowercase();
    let (host, rest) = match v.strip_prefix('[') {
        Some(inner) => {
            let end = inner.find(']')?;
            inner[..end].parse::<std::net::Ipv6Addr>().ok()?;
            (format!("[{}]", &inner[..end]), &inner[end + 1..])
        }
        None => {
            let end = v.find(':').unwrap_or(v.len());
            let host = &v[..end];
            let name_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !name_ok {
                return None;
            }
            (host.to_string(), &v[end..])
        }
    };
    let port = match rest.strip_prefix(':') {
        None if rest.is_empty() => None,
        None => return None,
        Some(digits) => {
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    Some((host, port))
}

/// Whether an authority names this server: one of its host names (any IP literal when it is
/// bound to every interface, never a DNS name) and its port (no port: 80).
fn allowed_host(shared: &Shared, value: &str) -> bool {
    let Some((host, port)) = authority(value) else {
        return false;
    };
    if port.unwrap_or(80) != shared.port {
        return false;
    }
    if shared.hosts.contains(&host) {
        return true;
    }
    let ip = host.parse::<std::net::IpAddr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
    shared.hosts.iter().any(|h| h == "0.0.0.0" || h == "[::]") && ip
}

/// Whether an `Origin` is this server's own: `http://` and an allowed authority, nothing more.
fn allowed_origin(shared: &Shared, origin: &str) -> bool {
    let origin = origin.trim_matches([' ', '\t']);
    let Some(scheme_end) = origin.find("://") else {
        return false;
    };
    origin[..scheme_end].eq_ignore_ascii_case("http")
        && allowed_host(shared, &origin[scheme_end + 3..])
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(h), None) => h.to_str().ok(),
        (Some(_), Some(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "opsbook serve: more than one Host header\n",
            );
        }
        (None, _) => None,
    };
    // A request in absolute form (`GET http://host/…`) names its host in the target too.
    let target_ok = request
        .uri()
        .authority()
        .is_none_or(|a| allowed_host(&shared, a.as_str()));
    if !host.is_some_and(|h| allowed_host(&shared, h)) || !target_ok {
        return refuse(
            StatusCode::FORBIDDEN,
            "opsbook serve: unknown Host header (DNS rebinding protection)\n",
        );
    }
    let mut origins = headers.get_all(header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (_, Some(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "opsbook serve: more than one Origin header\n",
            );
        }
        (Some(origin), None)
            if request.uri().path().starts_with("/__opsbook/")
                && !origin.to_str().is_ok_and(|o| allowed_origin(&shared, o)) =>
        {
            return refuse(StatusCode::FORBIDDEN, "opsbook serve: foreign Origin\n");
        }
        _ => {}
    }
    next.run(request).await
}

async fn live_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        LIVE_JS,
    )
        .into_response()
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let snapshot = shared.snapshot.read().expect("snapshot lock").clone();
    let body = serde_json::json!({
        "version": snapshot.version,
        "update": snapshot.update,
        "problems": snapshot.problems,
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn reload(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let problems = {
        let snapshot = shared.snapshot.read().expect("snapshot lock");
        serde_json::to_string(&snapshot.problems).unwrap_or_else(|_| "[]".into())
    };
    let first = tokio_stream::once(Ok(Event::default().event("problems").data(problems)));
    let updates =
        BroadcastStream::new(shared.notices.subscribe()).filter_map(|n| match n {
            Ok(Notice::Reload { full }) => Some(Ok(Event::default()
                .event("reload")
                .data(if full { "full" } else { "page" }))),
            Ok(Notice::Problems(json)) => Some(Ok(Event::default().event("problems").data(json))),
            Err(_) => None,
        });
    Sse::new(first.chain(updates)).keep_alive(KeepAlive::default())
}

/// The site path a request names, or `None` when it tries to leave the site.
pub fn site_path(uri_path: &str) -> Option<String> {
    let decoded = crate::text::percent_decode_strict(uri_path)?;
    if decoded.contains(['\\', '\0']) || decoded.starts_with("//") {
        return None;
    }
    let rel = decoded.trim_start_matches('/');
    let mut parts = Vec::new();
    for part in rel.split('/') {
        match part {
            "" => {}
            "." | ".." => return None,
            // Looked up in the site in memory, never on disk: a colon is only a character
            // (`javascript%3A…/x.html` names a page in a folder so named).
            p => parts.push(p),
        }
    }
    let mut path = parts.join("/");
    if path.is_empty() || decoded.ends_with('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str("index.html");
    }
    Some(path)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn with_reload_script(html: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    match text.rfind("</body>") {
        Some(i) => format!("{}{INJECT}{}", &text[..i], &text[i..]).into_bytes(),
        None => format!("{text}{INJECT}").into_bytes(),
    }
}

async fn file(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let Some(path) = site_path(request.uri().path()) else {
        return (
            StatusCode::BAD_REQUEST,
            "opsbook serve: that path is outside the site\n",
        )
            .into_response();
    };
    let snapshot = shared.snapshot.read().expect("snapshot lock").clone();
    let Some(site) = snapshot.rendered.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "opsbook serve: the site does not build yet; see the terminal\n",
        )
            .into_response();
    };
    // Rendering a page is CPU work: keep it off the async workers.
    let uri_path = request.uri().path().to_string();
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let found = tokio::task::spawn_blocking(move || match site.get(&path) {
        Some(result) => (StatusCode::OK, path, Some(result)),
        None if site.has_dir_index(&path) => (StatusCode::MOVED_PERMANENTLY, path, None),
        None => (
            StatusCode::NOT_FOUND,
            "404.html".to_string(),
            site.get("404.html"),
        ),
    })
    .await;
    let (status, path, result) = match found {
        Ok(f) => f,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    };
    if status == StatusCode::MOVED_PERMANENTLY {
        // `db/failover` for pretty URLs: send the browser to `db/failover/`.
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("{uri_path}/"))],
        )
            .into_response();
    }
    let bytes = match result {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response();
        }
        None => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
    };
    let kind = content_type(&path);
    let body = if kind.starts_with("text/html") {
        with_reload_script(&bytes)
    } else {
        bytes.to_vec()
    };
    // Browsers may keep what they fetched but must ask again every time (`no-cache`); an
    // unchanged file is a 304, so a reload after an edit re-fetches only the edited page, and
    // Chromium reuses its parsed stylesheet and compiled scripts.
    let etag = format!("\"{:016x}\"", FixedState::default().hash_one(&body));
    let fresh = status == StatusCode::OK && if_none_match.as_deref() == Some(etag.as_str());
    let mut response = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        r
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_site() {
        assert_eq!(site_path("/").as_deref(), Some("index.html"));
        assert_eq!(site_path("/db/").as_deref(), Some("db/index.html"));
        assert_eq!(
            site_path("/db/fail%20over.html").as_deref(),
            Some("db/fail over.html")
        );
        // A colon is a character of a page's name, looked up in memory.
        assert_eq!(
            site_path("/javascript%3Aalert(1)/x.html").as_deref(),
            Some("javascript:alert(1)/x.html")
        );
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/db/%2E%2E/%2e%2e/x",
            "/a%5c..%5cb",
            "//etc/passwd",
            "/a/%00",
            "/%zz",
        ] {
            assert_eq!(site_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn authorities_are_parsed_exactly() {
        let ok = |v: &str, host: &str, port: Option<u16>| {
            assert_eq!(authority(v), Some((host.to_string(), port)), "{v}");
        };
        ok("LocalHost:3000", "localhost", Some(3000));
        ok("[::1]:3000", "[::1]", Some(3000));
        ok("127.0.0.1", "127.0.0.1", None);
        ok(" localhost:80 ", "localhost", Some(80));
        for bad in [
            "",
            ":3000",
            "localhost:evil",
            "localhost:",
            "localhost:3000:3000",
            "127.0.0.1:3000@evil.example",
            "127.0.0.1:P@evil.example",
            "evil.example@127.0.0.1:3000",
            "localhost:99999",
            "localhost:3000/x",
            "local host:3000",
            "[::1",
            "[evil]:3000",
            "[::1]x",
            "localhost\\:3000",
        ] {
            assert_eq!(authority(bad), None, "{bad:?}");
        }
    }
}
