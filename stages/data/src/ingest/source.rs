//! Fetching a file's bytes from a local path or an object_store URL.
//!
//! A plain path or `file://` URL is read from disk. `s3://`, `gs://`, `az://` (and the
//! other Azure forms) and `http(s)://` URLs go through object_store: the store is
//! configured from the environment variables its builder knows (`AWS_*`, `GOOGLE_*`,
//! `AZURE_*`: credentials belong there, not in the spec), then from the stage's
//! `options` (`endpoint`, `region`, `allow_http`, ...), which take precedence. The
//! fetch runs on a small Tokio runtime owned by this call: async I/O stays at this edge.

use std::collections::BTreeMap;

use bytes::Bytes;
use mlfactory_engine::StageError;
use object_store::ObjectStoreExt;

/// Environment variable prefixes handed to object_store builders.
const ENV_PREFIXES: [&str; 3] = ["AWS_", "GOOGLE_", "AZURE_"];

/// Whether `path` is a URL with a scheme object_store handles remotely.
pub fn is_remote(path: &str) -> bool {
    path.split_once("://").is_some_and(|(scheme, _)| scheme != "file")
}

/// A local path or `file://` URL, resolved against `base` when relative; URLs of remote
/// stores are returned as given.
pub fn resolve(path: &str, base: Option<&std::path::Path>) -> String {
    match base {
        Some(base) if !is_remote(path) && !path.starts_with("file://") && std::path::Path::new(path).is_relative() => base.join(path).display().to_string(),
        _ => path.to_owned(),
    }
}

fn local_path(path: &str) -> Result<std::path::PathBuf, StageError> {
    match path.strip_prefix("file://") {
        Some(rest) => url::Url::parse(path)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .or_else(|| Some(std::path::PathBuf::from(rest)))
            .ok_or_else(|| StageError::data(format!("`{path}` is not a file URL"))),
        None => Ok(std::path::PathBuf::from(path)),
    }
}

/// Reads the whole file.
pub fn fetch(path: &str, options: &BTreeMap<String, String>) -> Result<Bytes, StageError> {
    if !is_remote(path) {
        let p = local_path(path)?;
        return std::fs::read(&p).map(Bytes::from).map_err(|e| {
            StageError::data_hint(
                format!("cannot read `{}`: {e}", p.display()),
                "relative paths are relative to the spec's folder; check the path or give a URL (s3://, gs://, az://, https://)",
            )
        });
    }
    let (store, location, runtime) = open_remote(path, options)?;
    runtime
        .block_on(async move {
            let got = store.get(&location).await?;
            got.bytes().await
        })
        .map_err(|e| {
            StageError::data_hint(
                format!("cannot fetch `{path}`: {e}"),
                "check the URL, the credentials in the environment (AWS_*, GOOGLE_*, AZURE_*) and `options`",
            )
        })
}

/// What identifies the file's content, for the stage key: the blake3 and size of a local
/// file; the ETag (else size and modification time) of a remote object.
pub fn fingerprint(path: &str, options: &BTreeMap<String, String>) -> Result<serde_json::Value, StageError> {
    if !is_remote(path) {
        let p = local_path(path)?;
        let mut hasher = blake3::Hasher::new();
        let file = std::fs::File::open(&p)
            .map_err(|e| StageError::data_hint(format!("cannot read `{}`: {e}", p.display()), "relative paths are relative to the spec's folder"))?;
        hasher.update_reader(file).map_err(|e| StageError::data(format!("reading `{}`: {e}", p.display())))?;
        let bytes = std::fs::metadata(&p).map(|m| m.len()).unwrap_or_default();
        return Ok(serde_json::json!({"blake3": hasher.finalize().to_hex().as_str(), "bytes": bytes}));
    }
    let (store, location, runtime) = open_remote(path, options)?;
    let meta = runtime.block_on(async move { store.head(&location).await }).map_err(|e| {
        StageError::data_hint(
            format!("cannot reach `{path}`: {e}"),
            "check the URL, the credentials in the environment (AWS_*, GOOGLE_*, AZURE_*) and `options`",
        )
    })?;
    Ok(match meta.e_tag {
        Some(etag) => serde_json::json!({"etag": etag, "bytes": meta.size}),
        None => serde_json::json!({"last_modified": meta.last_modified.to_rfc3339(), "bytes": meta.size}),
    })
}

type Remote = (Box<dyn object_store::ObjectStore>, object_store::path::Path, tokio::runtime::Runtime);

fn open_remote(path: &str, options: &BTreeMap<String, String>) -> Result<Remote, StageError> {
    let url = url::Url::parse(path).map_err(|e| StageError::data(format!("`{path}` is not a valid URL: {e}")))?;
    let mut config: Vec<(String, String)> =
        std::env::vars().filter(|(k, _)| ENV_PREFIXES.iter().any(|p| k.starts_with(p))).map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    config.extend(options.iter().map(|(k, v)| (k.clone(), v.clone())));
    let (store, location) = object_store::parse_url_opts(&url, config).map_err(|e| StageError::data(format!("cannot open `{path}`: {e}")))?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| StageError::internal(format!("starting an I/O runtime: {e}")))?;
    Ok((store, location, runtime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_and_file_urls() {
        let dir = std::env::temp_dir().join(format!("mlfactory-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.csv");
        std::fs::write(&f, "a,b\n1,2\n").unwrap();
        let none = BTreeMap::new();
        assert_eq!(&fetch(f.to_str().unwrap(), &none).unwrap()[..], b"a,b\n1,2\n");
        assert_eq!(&fetch(&format!("file://{}", f.display()), &none).unwrap()[..], b"a,b\n1,2\n");
        let err = fetch(dir.join("nope.csv").to_str().unwrap(), &none).unwrap_err().to_string();
        assert!(err.contains("nope.csv") && err.contains("hint:"), "{err}");
        let fp = fingerprint(f.to_str().unwrap(), &none).unwrap();
        assert_eq!(fp["blake3"], blake3::hash(b"a,b\n1,2\n").to_hex().as_str());
        assert_eq!(resolve("x.csv", Some(&dir)), f.display().to_string());
        assert_eq!(resolve("s3://b/k", Some(&dir)), "s3://b/k");
        assert!(is_remote("s3://b/k") && is_remote("https://h/x") && !is_remote("file:///x") && !is_remote("data/x.csv"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
