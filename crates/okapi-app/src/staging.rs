//! A generated directory written whole or not at all: `okapi demo --out
//! DIR` builds the new demo in a hidden sibling directory and renames it
//! into place, so a run killed at any point leaves the old demo or the new
//! one, never a mix of both.
//!
//! - DIR may be missing, empty, or a demo an earlier `okapi demo` wrote
//!   (it holds the marker file [`MARKER`]). Anything else is refused: a
//!   workspace the demo did not create, or a directory with other files.
//! - The new demo is built in `.NAME.okapi-demo-new-PID` beside DIR. To
//!   replace an old demo, DIR is renamed to `.NAME.okapi-demo-old`, the new
//!   one renamed to DIR, then the old one removed. A run killed between the
//!   two renames leaves DIR missing and the old demo beside it: the next
//!   run puts it back first. Leftover build directories of killed runs are
//!   removed.

use std::path::{Path, PathBuf};

use crate::error::{AppError, Context};

type Result<T> = std::result::Result<T, AppError>;

/// Returns an [`AppError::Invalid`] with the message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(AppError::Invalid(format!($($arg)*)))
    };
}

/// The file that marks a directory as written by `okapi demo`.
pub const MARKER: &str = ".okapi-demo";

/// Where a demo is being built, and where it goes.
pub struct Staging {
    target: PathBuf,
    building: PathBuf,
    old: PathBuf,
}

fn sibling(target: &Path, suffix: &str) -> Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| AppError::Invalid(format!("{}: not a directory name", target.display())))?;
    let parent = target.parent().unwrap_or(Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    Ok(parent.join(format!(".{}.okapi-demo-{suffix}", name.to_string_lossy())))
}

impl Staging {
    /// Checks that `target` may be replaced by a demo and prepares an
    /// empty build directory beside it.
    pub fn begin(target: &Path) -> Result<Staging> {
        let old = sibling(target, "old")?;
        let building = sibling(target, &format!("new-{}", std::process::id()))?;
        // A run killed between its two renames: put the old demo back.
        if !target.exists() && old.join(MARKER).exists() {
            std::fs::rename(&old, target).with_context(|| {
                format!("restoring {} from {}", target.display(), old.display())
            })?;
        }
        check_replaceable(target)?;
        remove_leftovers(target)?;
        if let Some(parent) = building.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::create_dir(&building)
            .with_context(|| format!("creating {}", building.display()))?;
        Ok(Staging {
            target: target.to_path_buf(),
            building,
            old,
        })
    }

    /// The directory to write the new demo into.
    pub fn dir(&self) -> &Path {
        &self.building
    }

    /// Marks the new demo and moves it into place.
    pub fn commit(self) -> Result<()> {
        std::fs::write(
            self.building.join(MARKER),
            "Written by `okapi demo`: running it again replaces this directory.\n",
        )
        .with_context(|| format!("writing {}", self.building.join(MARKER).display()))?;
        let had_old = self.target.exists();
        if had_old {
            if self.old.exists() {
                std::fs::remove_dir_all(&self.old)
                    .with_context(|| format!("removing {}", self.old.display()))?;
            }
            std::fs::rename(&self.target, &self.old).with_context(|| {
                format!("moving {} to {}", self.target.display(), self.old.display())
            })?;
        }
        std::fs::rename(&self.building, &self.target).with_context(|| {
            format!(
                "moving {} to {}",
                self.building.display(),
                self.target.display()
            )
        })?;
        if had_old {
            std::fs::remove_dir_all(&self.old)
                .with_context(|| format!("removing {}", self.old.display()))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// A run that fails (not one that is killed) removes its build.
    fn drop(&mut self) {
        if self.building.exists() {
            let _ = std::fs::remove_dir_all(&self.building);
        }
    }
}

/// Refuses a `target` that is neither missing, empty, nor a demo.
fn check_replaceable(target: &Path) -> Result<()> {
    if !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        bail!("--out {}: not a directory", target.display());
    }
    if target.join(MARKER).is_file() {
        return Ok(());
    }
    let mut entries =
        std::fs::read_dir(target).with_context(|| format!("reading {}", target.display()))?;
    if entries.next().is_none() {
        return Ok(());
    }
    if target.join("okapi.toml").exists() || target.join("okapi.db").exists() {
        bail!(
            "--out {}: the directory holds an okapi workspace that `okapi demo` did not create; \
             the demo replaces its whole directory, so choose another --out",
            target.display()
        );
    }
    bail!(
        "--out {}: the directory is not empty and was not written by `okapi demo`; \
         the demo replaces its whole directory, so choose an empty or new one",
        target.display()
    )
}

/// Removes build directories that killed runs left beside `target`.
fn remove_leftovers(target: &Path) -> Result<()> {
    let prefix = sibling(target, "new-")?;
    let (Some(parent), Some(prefix)) = (prefix.parent(), prefix.file_name()) else {
        return Ok(());
    };
    let prefix = prefix.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(&prefix) else {
            continue;
        };
        // Another demo running now into the same target keeps its build.
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            std::fs::remove_dir_all(e.path())
                .with_context(|| format!("removing {}", e.path().display()))?;
        }
    }
    Ok(())
}
