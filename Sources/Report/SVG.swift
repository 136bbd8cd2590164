import Foundation

/// Escapes text for XML and HTML content and attribute values.
public func xmlEscape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default:
            // Control characters other than tab and newline are not allowed in XML 1.0.
            if character.value < 0x20 && character != "\t" && character != "\n" {
                result += " "
            } else {
                result.unicodeScalars.append(character)
            }
        }
    }
    return result
}

/// Colours that people with common colour-vision deficiencies can tell apart (Okabe and Ito,
/// "Color Universal Design"), in the order charts use them.
public enum Palette {
    public static let orange = "#E69F00"
    public static let skyBlue = "#56B4E9"
    public static let green = "#009E73"
    public static let yellow = "#F0E442"
    public static let blue = "#0072B2"
    public static let vermillion = "#D55E00"
    public static let purple = "#CC79A7"
    public static let black = "#000000"
    /// Series colours, yellow last (it is faint on white).
    public static let series = [blue, orange, green, vermillion, skyBlue, purple, black, yellow]
    /// The colours of A wins, B wins and ties, used the same way in every chart.
    public static let modelA = blue
    public static let modelB = orange
    public static let tie = "#999999"

    public static func color(_ index: Int) -> String { series[index % series.count] }
}

/// Number formatting for tick labels and values: short, no locale, no exponent for ordinary sizes.
public enum NumberFormat {
    /// "1,234", "0.25", "12.5k", "1.2M".
    public static func short(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        let magnitude = abs(value)
        if magnitude >= 1_000_000 { return trimmed(value / 1_000_000, digits: 1) + "M" }
        if magnitude >= 10_000 { return trimmed(value / 1000, digits: 1) + "k" }
        if value == value.rounded() { return grouped(Int(value)) }
        if magnitude >= 100 { return trimmed(value, digits: 0) }
        if magnitude >= 10 { return trimmed(value, digits: 1) }
        if magnitude >= 1 { return trimmed(value, digits: 2) }
        if magnitude >= 0.01 { return trimmed(value, digits: 3) }
        if magnitude >= 0.0001 { return trimmed(value, digits: 5) }
        return String(format: "%.1e", value)
    }

    /// A fixed number of decimals ("0.9876").
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "n/a"
    }

    /// A percentage with one decimal ("48.2%").
    public static func percent(_ value: Double) -> String {
        value.isFinite ? String(format: "%.1f%%", 100 * value) : "n/a"
    }

    /// An integer with thousands separators ("12,345").
    public static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    static func trimmed(_ value: Double, digits: Int) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// A number for an SVG coordinate (two decimals at most).
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return trimmed(value, digits: 2)
    }
}

/// Where axis ticks go.
public enum Ticks {
    /// About `count` round values covering [low, high] ("nice numbers": 1, 2, 5 times a power of ten).
    public static func linear(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard low.isFinite, high.isFinite else { return [0] }
        if high <= low { return [low] }
        let rough = (high - low) / Double(max(count, 1))
        let power = pow(10, floor(log10(rough)))
        let fraction = rough / power
        let step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * power
        let first = ceil(low / step - 1e-9) * step
        var ticks: [Double] = []
        var value = first
        while value <= high + step * 1e-9 && ticks.count < 50 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }

    /// Powers of ten covering [low, high] (both > 0), with 2 and 5 between when there are few.
    public static func logarithmic(_ low: Double, _ high: Double) -> [Double] {
        let lowExponent = Int(floor(log10(max(low, 1e-300))))
        let highExponent = Int(ceil(log10(max(high, 1e-300))))
        var ticks: [Double] = []
        let fine = highExponent - lowExponent <= 2
        for exponent in lowExponent...max(lowExponent, highExponent) {
            let base = pow(10, Double(exponent))
            for multiple in fine ? [1.0, 2, 5] : [1.0] {
                let value = base * multiple
                if value >= low * 0.999 && value <= high * 1.001 { ticks.append(value) }
            }
        }
        return ticks
    }

    /// The range [low, high] widened to nice values, starting at 0 when the data allow.
    static func niceRange(_ values: [Double], includeZero: Bool = true) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if includeZero { low = min(low, 0); high = max(high, 0) }
        if high == low { high = low + 1 }
        let ticks = linear(low, high)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : (high - low)
        if let last = ticks.last, last < high { high = last + step }
        if let first = ticks.first, first > low { low = first - step }
        return (low, high)
    }
}

/// Builds an SVG document as text; every piece of text goes through `xmlEscape`.
struct SVGWriter {
    let width: Double
    let height: Double
    var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func c(_ value: Double) -> String { NumberFormat.coordinate(value) }

    mutating func raw(_ element: String) { body.append(element) }

    mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, cssClass: String? = nil,
        stroke: String? = nil, title: String? = nil, data: [(String, String)] = []
    ) {
        var attributes = "x=\"\(Self.c(x))\" y=\"\(Self.c(y))\" width=\"\(Self.c(max(width, 0)))\" height=\"\(Self.c(max(height, 0)))\" fill=\"\(fill)\""
        if let cssClass { attributes += " class=\"\(cssClass)\"" }
        if let stroke { attributes += " stroke=\"\(stroke)\"" }
        for (name, value) in data { attributes += " data-\(name)=\"\(xmlEscape(value))\"" }
        if let title {
            body.append("<rect \(attributes)><title>\(xmlEscape(title))</title></rect>")
        } else {
            body.append("<rect \(attributes)/>")
        }
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#333333", width: Double = 1,
        dashed: Bool = false, cssClass: String? = nil
    ) {
        var attributes = "x1=\"\(Self.c(x1))\" y1=\"\(Self.c(y1))\" x2=\"\(Self.c(x2))\" y2=\"\(Self.c(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.c(width))\""
        if dashed { attributes += " stroke-dasharray=\"5 4\"" }
        if let cssClass { attributes += " class=\"\(cssClass)\"" }
        body.append("<line \(attributes)/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, cssClass: String? = nil) {
        let list = points.map { "\(Self.c($0.0)),\(Self.c($0.1))" }.joined(separator: " ")
        var attributes = "points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.c(width))\" stroke-linejoin=\"round\""
        if let cssClass { attributes += " class=\"\(cssClass)\"" }
        body.append("<polyline \(attributes)/>")
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String, title: String? = nil, cssClass: String? = nil) {
        var attributes = "cx=\"\(Self.c(x))\" cy=\"\(Self.c(y))\" r=\"\(Self.c(radius))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\""
        if let cssClass { attributes += " class=\"\(cssClass)\"" }
        if let title {
            body.append("<circle \(attributes)><title>\(xmlEscape(title))</title></circle>")
        } else {
            body.append("<circle \(attributes)/>")
        }
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(
        _ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12, weight: String? = nil,
        fill: String = "#222222", rotate: Double? = nil, cssClass: String? = nil, baseline: String? = nil
    ) {
        var attributes = "x=\"\(Self.c(x))\" y=\"\(Self.c(y))\" font-size=\"\(Self.c(size))\" fill=\"\(fill)\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let rotate { attributes += " transform=\"rotate(\(Self.c(rotate)) \(Self.c(x)) \(Self.c(y)))\"" }
        if let cssClass { attributes += " class=\"\(cssClass)\"" }
        if let baseline { attributes += " dominant-baseline=\"\(baseline)\"" }
        body.append("<text \(attributes)>\(xmlEscape(content))</text>")
    }

    /// The finished element. Inline in HTML, no namespace is needed (and the page stays free of
    /// URLs); `standalone` adds it for a separate .svg file.
    func render(title: String, standalone: Bool = false) -> String {
        let namespace = standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : ""
        return "<svg\(namespace) class=\"chart\" width=\"\(Self.c(width))\" height=\"\(Self.c(height))\" viewBox=\"0 0 \(Self.c(width)) \(Self.c(height))\" role=\"img\" aria-label=\"\(xmlEscape(title))\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif\">"
            + "<title>\(xmlEscape(title))</title>" + body.joined() + "</svg>"
    }
}

/// An estimate of a text's width in pixels at a font size (no font metrics offline; average glyph
/// width is about 0.58 em for sans-serif).
func textWidth(_ text: String, size: Double = 12) -> Double {
    Double(text.count) * size * 0.58
}

/// Shortens a label to at most `limit` characters with an ellipsis.
func shorten(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
}
