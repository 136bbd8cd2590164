import Foundation

/// Path helpers that avoid a swift-corelibs-foundation crash: `NSString.deletingLastPathComponent`
/// traps (illegal instruction) on a one-character path without a slash ("t"), which a user's
/// `--out t` reaches.
public enum FilePaths {
    /// The folder holding `path`: "" for a bare name ("t", "run"), "/" for "/x", otherwise
    /// everything before the last component ("runs/a" -> "runs"). Trailing slashes are ignored.
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        var parent = trimmed[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent.removeLast() }
        return parent.isEmpty ? "/" : String(parent)
    }
}
