//! Znode paths: `ZPath`, a validated absolute path that is cheap to clone, and `PathError`,
//! which says what a valid path looks like. Validation follows ZooKeeper's
//! `PathUtils.validatePath`, so a path zabsim accepts is one a real server accepts.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A valid znode path such as `/`, `/app` or `/app/lock/n-0000000003`.
///
/// Paths order as strings (byte order), which is the "path order" the data tree iterates in
/// and in which closeSession deletes ephemerals. Cloning shares the text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZPath(Arc<str>);

/// Why a string is not a znode path. `Display` starts with "expected", so a caller can show it
/// as `field X: expected ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// The rejected text.
    pub input: String,
    /// Which rule it breaks.
    pub kind: PathErrorKind,
}

/// The rules of `PathUtils.validatePath`, one variant each. Positions count characters from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathErrorKind {
    /// The empty string.
    Empty,
    /// Does not start with `/`.
    NotAbsolute,
    /// Ends with `/` and is not the root.
    TrailingSlash,
    /// Two slashes in a row: an empty node name.
    EmptySegment {
        /// Position of the second slash.
        at: usize,
    },
    /// A `.` or `..` segment; ZooKeeper has no relative paths.
    RelativeSegment {
        /// Position of the last dot of the segment.
        at: usize,
    },
    /// A NUL character.
    NulCharacter {
        /// Its position.
        at: usize,
    },
    /// A control or reserved character that ZooKeeper refuses (U+0001..U+001F, U+007F..U+009F,
    /// U+E000..U+F8FF, U+FFF0..U+FFFF).
    InvalidCharacter {
        /// Its position.
        at: usize,
    },
    /// A child name passed to [`ZPath::child`] that is empty or contains `/`.
    BadChildName,
}

impl ZPath {
    /// The root znode, `/` (one shared text, so asking for it allocates nothing).
    pub fn root() -> ZPath {
        static ROOT: OnceLock<ZPath> = OnceLock::new();
        ROOT.get_or_init(|| ZPath(Arc::from("/"))).clone()
    }

    /// Validates `text` as `PathUtils.validatePath` does and returns it as a path.
    pub fn parse(text: &str) -> Result<ZPath, PathError> {
        match first_violation(text) {
            Some(kind) => Err(PathError { input: text.to_string(), kind }),
            None => Ok(ZPath(Arc::from(text))),
        }
    }

    /// The path as text.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `/`.
    #[inline]
    pub fn is_root(&self) -> bool {
        &*self.0 == "/"
    }

    /// The parent path; `None` for the root.
    pub fn parent(&self) -> Option<ZPath> {
        self.parent_str().map(|parent| if parent == "/" { ZPath::root() } else { ZPath(Arc::from(parent)) })
    }

    /// The parent path's text, without making a path of it (a tree looks nodes up by text:
    /// `ZPath: Borrow<str>`); `None` for the root.
    pub fn parent_str(&self) -> Option<&str> {
        if self.is_root() {
            return None;
        }
        let last_slash = self.0.rfind('/').expect("a valid path starts with '/'");
        Some(if last_slash == 0 { "/" } else { &self.0[..last_slash] })
    }

    /// The last segment (`lock` for `/app/lock`); empty for the root.
    pub fn name(&self) -> &str {
        let last_slash = self.0.rfind('/').expect("a valid path starts with '/'");
        &self.0[last_slash + 1..]
    }

    /// The path of the child `name` of this node. `name` is one segment: non-empty, no `/`,
    /// and it must leave the joined path valid.
    pub fn child(&self, name: &str) -> Result<ZPath, PathError> {
        let joined = self.joined(name);
        if name.is_empty() || name.contains('/') {
            return Err(PathError { input: joined, kind: PathErrorKind::BadChildName });
        }
        ZPath::parse(&joined)
    }

    /// The text of this path followed by `/name` (just `/name` under the root), unvalidated.
    fn joined(&self, name: &str) -> String {
        if self.is_root() {
            format!("/{name}")
        } else {
            format!("{}/{name}", self.0)
        }
    }

    /// Whether `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &ZPath) -> bool {
        ancestor.is_root()
            || self.0.strip_prefix(&*ancestor.0).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The name ZooKeeper gives a sequential node: this path's text followed by the
    /// 10-digit zero-padded `sequence` (`PrepRequestProcessor.pRequest2TxnCreate` formats the
    /// parent's cversion with `%010d`). Under the root the prefix is the empty name, so
    /// `/` becomes `/0000000007`. Always a valid path: digits and a sign lengthen the last
    /// segment of a valid path (or name a new one under the root), which breaks no rule.
    pub fn with_sequence_suffix(&self, sequence: i32) -> ZPath {
        // `{:010}` pads after the sign like Java's `%010d`, so a wrapped negative cversion
        // names the node exactly as ZooKeeper would (`-000000001`).
        let text = if self.is_root() { format!("/{sequence:010}") } else { format!("{}{sequence:010}", self.0) };
        debug_assert_eq!(first_violation(&text), None, "{text}");
        ZPath(Arc::from(text))
    }
}

/// Paths order and compare as their text, so a map keyed by paths can be searched by text.
impl Borrow<str> for ZPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The first rule of `PathUtils.validatePath` that `text` breaks, checked in ZooKeeper's order.
fn first_violation(text: &str) -> Option<PathErrorKind> {
    if text.is_empty() {
        return Some(PathErrorKind::Empty);
    }
    if !text.starts_with('/') {
        return Some(PathErrorKind::NotAbsolute);
    }
    if text == "/" {
        return None;
    }
    if text.ends_with('/') {
        return Some(PathErrorKind::TrailingSlash);
    }
    let chars: Vec<char> = text.chars().collect();
    for at in 1..chars.len() {
        let c = chars[at];
        let previous = chars[at - 1];
        let segment_ends_here = at + 1 == chars.len() || chars[at + 1] == '/';
        if c == '\0' {
            return Some(PathErrorKind::NulCharacter { at });
        }
        if c == '/' && previous == '/' {
            return Some(PathErrorKind::EmptySegment { at });
        }
        // "/." and "/.." as whole segments; "..." or ".hidden" are ordinary names.
        let single_dot = c == '.' && previous == '/' && segment_ends_here;
        let double_dot = c == '.' && previous == '.' && at >= 2 && chars[at - 2] == '/' && segment_ends_here;
        if single_dot || double_dot {
            return Some(PathErrorKind::RelativeSegment { at });
        }
        if is_refused_character(c) {
            return Some(PathErrorKind::InvalidCharacter { at });
        }
    }
    None
}

/// The character ranges `PathUtils.validatePath` refuses besides NUL. Java also refuses lone
/// UTF-16 surrogates (U+D800..U+DFFF), which a Rust `str` cannot hold.
fn is_refused_character(c: char) -> bool {
    matches!(c, '\u{1}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{e000}'..='\u{f8ff}' | '\u{fff0}'..='\u{ffff}')
}

impl fmt::Display for ZPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ZPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl Serialize for ZPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ZPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ZPath, D::Error> {
        let text = String::deserialize(deserializer)?;
        ZPath::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for ZPath {
    type Err = PathError;

    fn from_str(text: &str) -> Result<ZPath, PathError> {
        ZPath::parse(text)
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = &self.input;
        match self.kind {
            PathErrorKind::Empty => write!(f, "expected a znode path starting with '/', got an empty string"),
            PathErrorKind::NotAbsolute => write!(f, "expected a znode path starting with '/', got {input:?}"),
            PathErrorKind::TrailingSlash => {
                write!(f, "expected a znode path that does not end with '/' (only the root does), got {input:?}")
            }
            PathErrorKind::EmptySegment { at } => {
                write!(f, "expected a znode path without empty node names, got {input:?} ('//' at {at})")
            }
            PathErrorKind::RelativeSegment { at } => {
                write!(f, "expected a znode path without '.' or '..' segments, got {input:?} (at {at})")
            }
            PathErrorKind::NulCharacter { at } => {
                write!(f, "expected a znode path without NUL characters, got {input:?} (at {at})")
            }
            PathErrorKind::InvalidCharacter { at } => {
                write!(f, "expected a znode path without control or reserved characters, got {input:?} (at {at})")
            }
            PathErrorKind::BadChildName => {
                write!(f, "expected a single non-empty node name without '/', got the path {input:?}")
            }
        }
    }
}

impl std::error::Error for PathError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<PathErrorKind> {
        ZPath::parse(text).err().map(|e| e.kind)
    }

    #[test]
    fn valid_paths_parse_as_written() {
        for text in ["/", "/a", "/a/b", "/app/lock/n-0000000001", "/...", "/.hidden", "/a./b..", "/ü"] {
            assert_eq!(ZPath::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn invalid_paths_name_the_rule_they_break() {
        assert_eq!(kind(""), Some(PathErrorKind::Empty));
        assert_eq!(kind("a/b"), Some(PathErrorKind::NotAbsolute));
        assert_eq!(kind("/a/"), Some(PathErrorKind::TrailingSlash));
        assert_eq!(kind("/a//b"), Some(PathErrorKind::EmptySegment { at: 3 }));
        assert_eq!(kind("/a/./b"), Some(PathErrorKind::RelativeSegment { at: 3 }));
        assert_eq!(kind("/a/.."), Some(PathErrorKind::RelativeSegment { at: 4 }));
        assert_eq!(kind("/."), Some(PathErrorKind::RelativeSegment { at: 1 }));
        assert_eq!(kind("/a\0b"), Some(PathErrorKind::NulCharacter { at: 2 }));
        assert_eq!(kind("/a\u{7}"), Some(PathErrorKind::InvalidCharacter { at: 2 }));
        assert_eq!(kind("/\u{e000}"), Some(PathErrorKind::InvalidCharacter { at: 1 }));
    }

    #[test]
    fn path_error_says_what_was_expected() {
        let message = ZPath::parse("a/b").unwrap_err().to_string();
        assert!(message.starts_with("expected a znode path starting with '/'"), "{message}");
        assert!(message.contains("\"a/b\""), "{message}");
    }

    #[test]
    fn parent_and_name_split_the_last_segment() {
        let path = ZPath::parse("/a/b/c").unwrap();
        assert_eq!(path.name(), "c");
        assert_eq!(path.parent().unwrap().as_str(), "/a/b");
        assert_eq!(ZPath::parse("/a").unwrap().parent(), Some(ZPath::root()));
        assert_eq!(ZPath::root().parent(), None);
        assert_eq!(ZPath::root().name(), "");
    }

    #[test]
    fn child_joins_one_segment() {
        assert_eq!(ZPath::root().child("a").unwrap().as_str(), "/a");
        assert_eq!(ZPath::parse("/a").unwrap().child("b").unwrap().as_str(), "/a/b");
        assert_eq!(ZPath::root().child("").unwrap_err().kind, PathErrorKind::BadChildName);
        assert_eq!(ZPath::root().child("a/b").unwrap_err().kind, PathErrorKind::BadChildName);
        assert_eq!(ZPath::root().child("..").unwrap_err().kind, PathErrorKind::RelativeSegment { at: 2 });
    }

    #[test]
    fn sequence_suffix_is_ten_zero_padded_digits() {
        let prefix = ZPath::parse("/lock/n-").unwrap();
        assert_eq!(prefix.with_sequence_suffix(7).as_str(), "/lock/n-0000000007");
        assert_eq!(ZPath::root().with_sequence_suffix(12).as_str(), "/0000000012");
        assert_eq!(prefix.with_sequence_suffix(-1).as_str(), "/lock/n--000000001");
    }

    #[test]
    fn is_within_respects_segment_boundaries() {
        let a = ZPath::parse("/a").unwrap();
        assert!(ZPath::parse("/a/b").unwrap().is_within(&a));
        assert!(a.is_within(&a));
        assert!(!ZPath::parse("/ab").unwrap().is_within(&a));
        assert!(a.is_within(&ZPath::root()));
    }

    #[test]
    fn serializes_as_a_string_and_validates_on_the_way_in() {
        let path = ZPath::parse("/a/b").unwrap();
        assert_eq!(serde_json::to_string(&path).unwrap(), "\"/a/b\"");
        assert_eq!(serde_json::from_str::<ZPath>("\"/a/b\"").unwrap(), path);
        let err = serde_json::from_str::<ZPath>("\"/a/\"").unwrap_err().to_string();
        assert!(err.contains("expected a znode path that does not end with '/'"), "{err}");
    }
}
