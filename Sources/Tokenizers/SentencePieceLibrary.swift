#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SentencePiece shim (`libArenaSentencePiece.so`, built from Sources/CSentencePiece),
/// loaded at run time with `dlopen(RTLD_LOCAL | RTLD_DEEPBIND)` rather than linked: Debian's
/// libsentencepiece carries its own protobuf 3.14 whose exported symbols clash with the system
/// protobuf 3.21 that libtorch loads (see csentencepiece.h). Deep binding keeps each copy to
/// itself.
///
/// The library is looked for in `ARENA_SENTENCEPIECE_LIBRARY` (a full path), then beside the
/// running executable (where `swift build` puts it, for `arena` and for the test runner), then
/// on the loader's normal search path.
struct SentencePieceLibrary: @unchecked Sendable {
    typealias LastError = @convention(c) () -> UnsafePointer<CChar>?
    typealias LoadFile = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    typealias LoadBytes = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    typealias Free = @convention(c) (OpaquePointer?) -> Int32
    typealias EncodeIDs = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>?, UnsafeMutablePointer<Int>?) -> Int32
    typealias FreeIDs = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32
    typealias EncodePieces = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?) -> Int32
    typealias FreePieces = @convention(c) (UnsafeMutablePointer<CChar>?) -> Int32
    typealias VocabularySize = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias PieceToID = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias IDToPiece = @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
    typealias SpecialIDs = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Int32
    typealias IsSpecial = @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Int32

    static let fileName = "libArenaSentencePiece.so"

    let path: String
    let lastError: LastError
    let loadFile: LoadFile
    let loadBytes: LoadBytes
    let free: Free
    let encodeIDs: EncodeIDs
    let freeIDs: FreeIDs
    let encodePieces: EncodePieces
    let freePieces: FreePieces
    let vocabularySize: VocabularySize
    let pieceToID: PieceToID
    let idToPiece: IDToPiece
    let specialIDs: SpecialIDs
    let isSpecial: IsSpecial

    /// The library, loaded once per process (the first failure is remembered too).
    static let shared: Result<SentencePieceLibrary, SentencePieceLibraryError> = {
        do throws(SentencePieceLibraryError) { return .success(try load()) } catch { return .failure(error) }
    }()

    /// The message of the shim's last failure on this thread.
    func lastErrorMessage() -> String {
        guard let text = lastError() else { return "unknown error" }
        return String(cString: text)
    }

    static func candidatePaths() -> [String] {
        var paths: [String] = []
        if let explicit = getenv("ARENA_SENTENCEPIECE_LIBRARY").map({ String(cString: $0) }), !explicit.isEmpty {
            paths.append(explicit)
        }
        if let executable = executablePath() {
            let folder = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            paths.append("\(folder)/\(fileName)")
        }
        paths.append(fileName)
        return paths
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func load() throws(SentencePieceLibraryError) -> SentencePieceLibrary {
        var failures: [String] = []
        for path in candidatePaths() {
            #if os(Linux)
            let flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND
            #else
            let flags = RTLD_NOW | RTLD_LOCAL
            #endif
            guard let handle = dlopen(path, flags) else {
                failures.append(dlerror().map { String(cString: $0) } ?? path)
                continue
            }
            func symbol<T>(_ name: String, as type: T.Type) throws(SentencePieceLibraryError) -> T {
                guard let pointer = dlsym(handle, name) else {
                    throw .missingSymbol(path: path, symbol: name)
                }
                return unsafeBitCast(pointer, to: type)
            }
            return SentencePieceLibrary(
                path: path,
                lastError: try symbol("csp_last_error", as: LastError.self),
                loadFile: try symbol("csp_load_file", as: LoadFile.self),
                loadBytes: try symbol("csp_load_bytes", as: LoadBytes.self),
                free: try symbol("csp_free", as: Free.self),
                encodeIDs: try symbol("csp_encode_ids", as: EncodeIDs.self),
                freeIDs: try symbol("csp_free_ids", as: FreeIDs.self),
                encodePieces: try symbol("csp_encode_pieces", as: EncodePieces.self),
                freePieces: try symbol("csp_free_pieces", as: FreePieces.self),
                vocabularySize: try symbol("csp_vocabulary_size", as: VocabularySize.self),
                pieceToID: try symbol("csp_piece_to_id", as: PieceToID.self),
                idToPiece: try symbol("csp_id_to_piece", as: IDToPiece.self),
                specialIDs: try symbol("csp_special_ids", as: SpecialIDs.self),
                isSpecial: try symbol("csp_is_special", as: IsSpecial.self)
            )
        }
        throw .notFound(tried: failures)
    }
}

/// Why the SentencePiece shim could not be used.
enum SentencePieceLibraryError: Error, CustomStringConvertible {
    case notFound(tried: [String])
    case missingSymbol(path: String, symbol: String)

    var description: String {
        switch self {
        case .notFound(let tried):
            return "the SentencePiece shim \(SentencePieceLibrary.fileName) was not found (build it with `swift build`, "
                + "keep it beside the arena binary, or set ARENA_SENTENCEPIECE_LIBRARY): " + tried.joined(separator: "; ")
        case let .missingSymbol(path, symbol):
            return "\(path) has no symbol \(symbol): it is from another version of arena; rebuild it"
        }
    }
}
