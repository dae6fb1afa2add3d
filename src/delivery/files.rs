//! The file transports' shared writer: with no provider configured, a channel's messages land
//! in a folder of the outbox (`email/`, `sms/`, `push/`), readable by the owner only (they hold
//! personal data). A file is written under a temporary name and renamed, so a retry replaces
//! it whole and a reader never sees half a message.
use anyhow::Context;
use std::path::Path;

pub async fn write_private(dir: &Path, name: &str, bytes: Vec<u8>) -> anyhow::Result<String> {
    let dir = dir.to_path_buf();
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || write_blocking(&dir, &name, &bytes)).await?
}

fn write_blocking(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<String> {
    use std::io::Write;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_for_the_owner_only_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sms");
        write_private(&sub, "delivery-1.json", b"first".to_vec())
            .await
            .unwrap();
        let p = write_private(&sub, "delivery-1.json", b"second".to_vec())
            .await
            .unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
            assert_eq!(dmode, 0o700);
        }
        assert_eq!(
            std::fs::read_dir(&sub).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
