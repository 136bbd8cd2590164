import Foundation

/// SVG charts drawn from scratch: every chart has a title, labelled axes (with units in the
/// label), tick labels, and a legend when it has several series.
public enum Chart {
    public enum Orientation: Sendable { case vertical, horizontal }
    public enum Layout: Sendable { case grouped, stacked }

    static let titleSize = 15.0
    static let labelSize = 12.0
    static let tickSize = 11.0
    static let axisColor = "#444444"
    static let gridColor = "#e3e3e3"

    // MARK: frame pieces

    /// Draws the title and legend; returns the y where the plot may start.
    static func header(_ svg: inout SVGWriter, title: String, legend: [(String, String)], left: Double) -> Double {
        svg.text(title, x: 12, y: 22, size: titleSize, weight: "600", cssClass: "chart-title")
        guard legend.count > 1 else { return 38 }
        var x = 12.0
        var y = 42.0
        for (name, color) in legend {
            let label = shorten(name, 40)
            let itemWidth = 18 + textWidth(label, size: labelSize) + 16
            if x + itemWidth > svg.width - 8 && x > 12 {
                x = 12
                y += 18
            }
            svg.rect(x: x, y: y - 10, width: 12, height: 12, fill: color, cssClass: "legend-swatch")
            svg.text(label, x: x + 17, y: y, size: labelSize, cssClass: "legend-label")
            x += itemWidth
        }
        return y + 14
    }

    static func colors(_ series: [BarSeries]) -> [String] {
        series.enumerated().map { $0.element.color ?? Palette.color($0.offset) }
    }

    // MARK: bar charts

    /// A bar chart: one bar per category and series, grouped side by side or stacked.
    /// With one series and `categoryColors`, each category's bar takes its own colour.
    public static func bars(
        title: String, categories: [String], series: [BarSeries], orientation: Orientation = .vertical,
        layout: Layout = .grouped, valueAxis: String, categoryAxis: String, categoryColors: [String]? = nil,
        valueLabels: Bool = true, valueFormat: @escaping (Double) -> String = NumberFormat.short,
        annotations: [String]? = nil, valueRange: (Double, Double)? = nil, width: Double = 560, height: Double? = nil
    ) -> String {
        let seriesColors = colors(series)
        let legend = series.count > 1 ? zip(series.map(\.name), seriesColors).map { ($0, $1) } : []
        // The extent of the value axis.
        var extent: [Double] = [0]
        for index in categories.indices {
            if layout == .stacked {
                extent.append(series.reduce(0) { $0 + ($1.values.indices.contains(index) ? max($1.values[index], 0) : 0) })
            } else {
                extent += series.compactMap { $0.values.indices.contains(index) ? $0.values[index] : nil }
            }
        }
        let (low, high) = valueRange ?? Ticks.niceRange(extent)
        let ticks = Ticks.linear(low, high).filter { $0 >= low - 1e-12 && $0 <= high + 1e-12 }
        let groupsPerCategory = layout == .stacked ? 1 : max(series.count, 1)

        switch orientation {
        case .vertical:
            let longest = categories.map { textWidth($0, size: tickSize) }.max() ?? 0
            let band = (width - 80) / Double(max(categories.count, 1))
            let rotateLabels = longest > band - 4
            let bottom = rotateLabels ? min(longest * 0.6, 120) + 40 : 48
            let height = height ?? 340 + (rotateLabels ? bottom - 48 : 0)
            var svg = SVGWriter(width: width, height: height)
            let top = header(&svg, title: title, legend: legend, left: 64) + 14
            let x0 = 64.0, x1 = width - 16, y0 = top, y1 = height - bottom
            let scale = { (v: Double) in y1 - (v - low) / (high - low) * (y1 - y0) }
            for tick in ticks {
                svg.line(x1: x0, y1: scale(tick), x2: x1, y2: scale(tick), stroke: gridColor)
                svg.text(valueFormat(tick), x: x0 - 6, y: scale(tick) + 4, anchor: .end, size: tickSize, cssClass: "tick-label")
            }
            let band2 = (x1 - x0) / Double(max(categories.count, 1))
            let groupWidth = band2 * 0.72
            let barWidth = groupWidth / Double(groupsPerCategory)
            for (index, category) in categories.enumerated() {
                let groupX = x0 + band2 * Double(index) + (band2 - groupWidth) / 2
                var stackedTop = 0.0
                for (seriesIndex, item) in series.enumerated() {
                    guard item.values.indices.contains(index), item.values[index].isFinite else { continue }
                    let value = item.values[index]
                    let color = barColor(
                        category: index, series: seriesIndex, seriesCount: series.count, categoryColors: categoryColors,
                        seriesColors: seriesColors)
                    let tooltip = "\(category)\(series.count > 1 ? ", " + item.name : ""): \(valueFormat(value))"
                    if layout == .stacked {
                        let bottomY = scale(stackedTop), topY = scale(stackedTop + max(value, 0))
                        svg.rect(x: groupX, y: topY, width: groupWidth, height: bottomY - topY, fill: color, cssClass: "bar", title: tooltip,
                                 data: [("value", String(value)), ("series", item.name), ("category", category)])
                        if valueLabels && bottomY - topY >= 14 {
                            svg.text(valueFormat(value), x: groupX + groupWidth / 2, y: (topY + bottomY) / 2 + 4, anchor: .middle, size: tickSize,
                                     fill: textColor(on: color), cssClass: "value-label")
                        }
                        stackedTop += max(value, 0)
                    } else {
                        let x = groupX + barWidth * Double(seriesIndex)
                        let topY = scale(max(value, low)), baseY = scale(max(low, min(0, high)))
                        svg.rect(x: x + 1, y: min(topY, baseY), width: barWidth - 2, height: abs(baseY - topY), fill: color, cssClass: "bar", title: tooltip,
                                 data: [("value", String(value)), ("series", item.name), ("category", category)])
                        if valueLabels && barWidth >= textWidth(valueFormat(value), size: 10) * 0.8 {
                            svg.text(valueFormat(value), x: x + barWidth / 2, y: min(topY, baseY) - 4, anchor: .middle, size: 10, cssClass: "value-label")
                        }
                    }
                }
                if let annotations, annotations.indices.contains(index), !annotations[index].isEmpty {
                    let topValue = layout == .stacked ? stackedTop : series.compactMap { $0.values.indices.contains(index) ? $0.values[index] : nil }.max() ?? 0
                    svg.text(annotations[index], x: groupX + groupWidth / 2, y: scale(topValue) - (valueLabels && layout == .grouped ? 16 : 4), anchor: .middle, size: 10, fill: "#555555", cssClass: "annotation")
                }
                let labelX = x0 + band2 * (Double(index) + 0.5)
                if rotateLabels {
                    svg.text(shorten(category, 28), x: labelX, y: y1 + 14, anchor: .end, size: tickSize, rotate: -35, cssClass: "category-label")
                } else {
                    svg.text(category, x: labelX, y: y1 + 16, anchor: .middle, size: tickSize, cssClass: "category-label")
                }
            }
            svg.line(x1: x0, y1: scale(max(low, min(0, high))), x2: x1, y2: scale(max(low, min(0, high))), stroke: axisColor)
            svg.line(x1: x0, y1: y0, x2: x0, y2: y1, stroke: axisColor)
            svg.text(categoryAxis, x: (x0 + x1) / 2, y: height - 8, anchor: .middle, size: labelSize, cssClass: "axis-label")
            svg.text(valueAxis, x: 14, y: (y0 + y1) / 2, anchor: .middle, size: labelSize, rotate: -90, cssClass: "axis-label")
            return svg.render(title: title)

        case .horizontal:
            let labels = categories.map { shorten($0, 34) }
            let left = min(max((labels.map { textWidth($0, size: tickSize) }.max() ?? 0) + 34, 70), 250)
            let rowHeight = series.count > 1 && layout == .grouped ? 12.0 * Double(series.count) + 8 : 22
            let annotationRoom = annotations == nil ? 0.0 : 56
            var probe = SVGWriter(width: width, height: 100)
            let top = header(&probe, title: title, legend: legend, left: left) + 8
            let height = height ?? top + rowHeight * Double(categories.count) + 52
            var svg = SVGWriter(width: width, height: height)
            _ = header(&svg, title: title, legend: legend, left: left)
            let x0 = left, x1 = width - 20 - annotationRoom - (valueLabels && layout == .grouped ? 40 : 0), y0 = top, y1 = height - 44
            let scale = { (v: Double) in x0 + (v - low) / (high - low) * (x1 - x0) }
            for tick in ticks {
                svg.line(x1: scale(tick), y1: y0, x2: scale(tick), y2: y1, stroke: gridColor)
                svg.text(valueFormat(tick), x: scale(tick), y: y1 + 15, anchor: .middle, size: tickSize, cssClass: "tick-label")
            }
            let band = (y1 - y0) / Double(max(categories.count, 1))
            let groupHeight = band * 0.76
            let barHeight = groupHeight / Double(groupsPerCategory)
            for (index, label) in labels.enumerated() {
                let category = categories[index]
                let groupY = y0 + band * Double(index) + (band - groupHeight) / 2
                var stackedEnd = 0.0
                var rightmost = scale(0)
                for (seriesIndex, item) in series.enumerated() {
                    guard item.values.indices.contains(index), item.values[index].isFinite else { continue }
                    let value = item.values[index]
                    let color = barColor(
                        category: index, series: seriesIndex, seriesCount: series.count, categoryColors: categoryColors,
                        seriesColors: seriesColors)
                    let tooltip = "\(category)\(series.count > 1 ? ", " + item.name : ""): \(valueFormat(value))"
                    if layout == .stacked {
                        let start = scale(stackedEnd), end = scale(stackedEnd + max(value, 0))
                        svg.rect(x: start, y: groupY, width: end - start, height: groupHeight, fill: color, cssClass: "bar", title: tooltip,
                                 data: [("value", String(value)), ("series", item.name), ("category", category)])
                        if valueLabels && end - start >= textWidth(valueFormat(value), size: 10) + 4 {
                            svg.text(valueFormat(value), x: (start + end) / 2, y: groupY + groupHeight / 2 + 4, anchor: .middle, size: 10,
                                     fill: textColor(on: color), cssClass: "value-label")
                        }
                        stackedEnd += max(value, 0)
                        rightmost = end
                    } else {
                        let y = groupY + barHeight * Double(seriesIndex)
                        let base = scale(max(low, 0)), end = scale(value)
                        svg.rect(x: min(base, end), y: y + 0.5, width: abs(end - base), height: barHeight - 1, fill: color, cssClass: "bar", title: tooltip,
                                 data: [("value", String(value)), ("series", item.name), ("category", category)])
                        if valueLabels {
                            svg.text(valueFormat(value), x: max(base, end) + 4, y: y + barHeight / 2 + 4, size: 10, cssClass: "value-label")
                        }
                        rightmost = max(rightmost, end + (valueLabels ? textWidth(valueFormat(value), size: 10) + 8 : 0))
                    }
                }
                if let annotations, annotations.indices.contains(index) {
                    svg.text(annotations[index], x: rightmost + 6, y: groupY + groupHeight / 2 + 4, size: 10, fill: "#555555", cssClass: "annotation")
                }
                svg.text(label, x: x0 - 6, y: groupY + groupHeight / 2 + 4, anchor: .end, size: tickSize, cssClass: "category-label")
            }
            svg.line(x1: scale(max(low, 0)), y1: y0, x2: scale(max(low, 0)), y2: y1, stroke: axisColor)
            svg.line(x1: x0, y1: y1, x2: x1, y2: y1, stroke: axisColor)
            svg.text(valueAxis, x: (x0 + x1) / 2, y: height - 10, anchor: .middle, size: labelSize, cssClass: "axis-label")
            svg.text(categoryAxis, x: 14, y: (y0 + y1) / 2, anchor: .middle, size: labelSize, rotate: -90, cssClass: "axis-label")
            return svg.render(title: title)
        }
    }

    /// Black or white, whichever reads better on `background` (#RRGGBB).
    /// A bar's fill: its category's colour when there is one series and categories have
    /// colours, else its series' colour.
    static func barColor(category: Int, series: Int, seriesCount: Int, categoryColors: [String]?, seriesColors: [String]) -> String {
        if seriesCount == 1 {
            guard let categoryColors, !categoryColors.isEmpty else { return seriesColors[0] }
            return categoryColors[category % categoryColors.count]
        }
        return seriesColors[series]
    }

    static func textColor(on background: String) -> String {
        let hex = background.dropFirst()
        guard hex.count == 6, let value = Int(hex, radix: 16) else { return "#000000" }
        let r = Double((value >> 16) & 0xFF), g = Double((value >> 8) & 0xFF), b = Double(value & 0xFF)
        return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#000000" : "#ffffff"
    }

    // MARK: line charts

    /// A line chart of several series. `diagonal` draws y = x (for calibration); `logY` uses a
    /// logarithmic value axis.
    public static func lines(
        title: String, series: [LineSeries], xAxis: String, yAxis: String, xRange: (Double, Double)? = nil,
        yRange: (Double, Double)? = nil, diagonal: Bool = false, logY: Bool = false, width: Double = 560, height: Double = 360,
        xFormat: @escaping (Double) -> String = NumberFormat.short, yFormat: @escaping (Double) -> String = NumberFormat.short
    ) -> String {
        let colors = series.enumerated().map { $0.element.color ?? Palette.color($0.offset) }
        var legend = zip(series.map(\.name), colors).map { ($0, $1) }
        if diagonal && !series.isEmpty { legend.append(("perfect calibration", "#888888")) }
        var svg = SVGWriter(width: width, height: height)
        let top = header(&svg, title: title, legend: legend.count > 1 ? legend : [], left: 64) + 10
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter { $0.isFinite && (!logY || $0 > 0) }
        let (xLow, xHigh) = xRange ?? {
            let low = xs.min() ?? 0, high = xs.max() ?? 1
            return high > low ? (low, high) : (low - 0.5, low + 0.5)
        }()
        var (yLow, yHigh): (Double, Double)
        if let yRange {
            (yLow, yHigh) = yRange
        } else if logY {
            yLow = pow(10, floor(log10(ys.min() ?? 1)))
            yHigh = pow(10, ceil(log10(ys.max() ?? 10)))
            if yHigh <= yLow { yHigh = yLow * 10 }
        } else {
            let low = ys.min() ?? 0, high = ys.max() ?? 1
            let pad = high > low ? (high - low) * 0.08 : 0.5
            (yLow, yHigh) = Ticks.niceRange([low - pad, high + pad], includeZero: false)
        }
        let x0 = 68.0, x1 = width - 20, y0 = top, y1 = height - 48
        let xScale = { (v: Double) in x0 + (v - xLow) / (xHigh - xLow) * (x1 - x0) }
        let yScale = { (v: Double) -> Double in
            if logY { return y1 - (log10(max(v, 1e-300)) - log10(yLow)) / (log10(yHigh) - log10(yLow)) * (y1 - y0) }
            return y1 - (v - yLow) / (yHigh - yLow) * (y1 - y0)
        }
        let yTicks = logY ? Ticks.logarithmic(yLow, yHigh) : Ticks.linear(yLow, yHigh).filter { $0 >= yLow - 1e-12 && $0 <= yHigh + 1e-12 }
        for tick in yTicks {
            svg.line(x1: x0, y1: yScale(tick), x2: x1, y2: yScale(tick), stroke: gridColor)
            svg.text(yFormat(tick), x: x0 - 6, y: yScale(tick) + 4, anchor: .end, size: tickSize, cssClass: "tick-label")
        }
        for tick in Ticks.linear(xLow, xHigh, count: 6).filter({ $0 >= xLow - 1e-12 && $0 <= xHigh + 1e-12 }) {
            svg.line(x1: xScale(tick), y1: y0, x2: xScale(tick), y2: y1, stroke: gridColor)
            svg.text(xFormat(tick), x: xScale(tick), y: y1 + 16, anchor: .middle, size: tickSize, cssClass: "tick-label")
        }
        svg.line(x1: x0, y1: y1, x2: x1, y2: y1, stroke: axisColor)
        svg.line(x1: x0, y1: y0, x2: x0, y2: y1, stroke: axisColor)
        if diagonal {
            let low = max(xLow, yLow), high = min(xHigh, yHigh)
            svg.line(x1: xScale(low), y1: yScale(low), x2: xScale(high), y2: yScale(high), stroke: "#888888", width: 1.5, dashed: true, cssClass: "diagonal")
        }
        for (index, item) in series.enumerated() {
            let points = item.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
            if points.count > 1 {
                var polyline = points.map { (xScale($0.x), yScale($0.y)) }
                if item.dashed {
                    svg.raw("<polyline points=\"\(polyline.map { "\(SVGWriter.c($0.0)),\(SVGWriter.c($0.1))" }.joined(separator: " "))\" fill=\"none\" stroke=\"\(colors[index])\" stroke-width=\"2\" stroke-dasharray=\"6 3\" class=\"series\"/>")
                    polyline = []
                } else {
                    svg.polyline(polyline, stroke: colors[index], cssClass: "series")
                }
            }
            if item.markers || points.count == 1 {
                for point in points {
                    svg.circle(x: xScale(point.x), y: yScale(point.y), radius: 4, fill: colors[index],
                               title: "\(item.name): \(xFormat(point.x)), \(yFormat(point.y))", cssClass: "marker")
                }
            }
        }
        svg.text(xAxis, x: (x0 + x1) / 2, y: height - 10, anchor: .middle, size: labelSize, cssClass: "axis-label")
        svg.text(yAxis, x: 14, y: (y0 + y1) / 2, anchor: .middle, size: labelSize, rotate: -90, cssClass: "axis-label")
        return svg.render(title: title)
    }

    // MARK: matrix

    /// A matrix of counts as coloured cells (white to blue), each with its count and row share.
    public static func matrix(
        title: String, rows: [String], columns: [String], values: [[Double]], rowAxis: String, columnAxis: String,
        width: Double = 420, height: Double = 360
    ) -> String {
        var svg = SVGWriter(width: width, height: height)
        let top = header(&svg, title: title, legend: [], left: 0) + 26
        let left = min(max((rows.map { textWidth($0, size: labelSize) }.max() ?? 0) + 36, 80), 180)
        let x0 = left, x1 = width - 16, y0 = top, y1 = height - 44
        let cellWidth = (x1 - x0) / Double(max(columns.count, 1))
        let cellHeight = (y1 - y0) / Double(max(rows.count, 1))
        let maximum = max(values.flatMap { $0 }.max() ?? 1, 1e-12)
        for (column, name) in columns.enumerated() {
            svg.text(name, x: x0 + cellWidth * (Double(column) + 0.5), y: y0 - 8, anchor: .middle, size: labelSize, cssClass: "category-label")
        }
        for (row, name) in rows.enumerated() {
            let rowTotal = values.indices.contains(row) ? values[row].reduce(0, +) : 0
            svg.text(name, x: x0 - 8, y: y0 + cellHeight * (Double(row) + 0.5) + 4, anchor: .end, size: labelSize, cssClass: "category-label")
            for column in columns.indices {
                let value = values.indices.contains(row) && values[row].indices.contains(column) ? values[row][column] : 0
                let color = blend(from: "#FFFFFF", to: Palette.blue, amount: value / maximum)
                let x = x0 + cellWidth * Double(column), y = y0 + cellHeight * Double(row)
                svg.rect(x: x, y: y, width: cellWidth, height: cellHeight, fill: color, cssClass: "cell", stroke: "#ffffff",
                         title: "\(name) → \(columns[column]): \(NumberFormat.short(value))",
                         data: [("value", String(value)), ("row", name), ("column", columns[column])])
                let ink = textColor(on: color)
                svg.text(NumberFormat.short(value), x: x + cellWidth / 2, y: y + cellHeight / 2, anchor: .middle, size: 14, weight: "600", fill: ink, cssClass: "cell-value")
                if rowTotal > 0 {
                    svg.text(NumberFormat.percent(value / rowTotal) + " of row", x: x + cellWidth / 2, y: y + cellHeight / 2 + 16, anchor: .middle, size: 10, fill: ink, cssClass: "cell-share")
                }
            }
        }
        svg.text(columnAxis, x: (x0 + x1) / 2, y: height - 14, anchor: .middle, size: labelSize, cssClass: "axis-label")
        svg.text(rowAxis, x: 14, y: (y0 + y1) / 2, anchor: .middle, size: labelSize, rotate: -90, cssClass: "axis-label")
        return svg.render(title: title)
    }

    static func blend(from: String, to: String, amount: Double) -> String {
        func parts(_ hex: String) -> [Double] {
            let value = Int(hex.dropFirst(), radix: 16) ?? 0
            return [Double((value >> 16) & 0xFF), Double((value >> 8) & 0xFF), Double(value & 0xFF)]
        }
        let t = min(max(amount.isFinite ? amount : 0, 0), 1)
        let mixed = zip(parts(from), parts(to)).map { Int(($0 + ($1 - $0) * t).rounded()) }
        return "#" + mixed.map { String(format: "%02X", $0) }.joined()
    }

    // MARK: distributions

    /// Distributions on a logarithmic axis: a box from p10 to p90 with the median marked, a
    /// whisker to p99, a dot at the maximum and a diamond at the mean.
    public static func distributions(title: String, items: [Distribution], valueAxis: String, width: Double = 560) -> String {
        let legend = [("p10 to p90 (box), median (line)", Palette.skyBlue), ("p99 (whisker end)", Palette.blue), ("mean", Palette.vermillion), ("max", Palette.black)]
        var probe = SVGWriter(width: width, height: 100)
        let top = header(&probe, title: title, legend: legend, left: 0) + 10
        let rowHeight = 46.0
        let height = top + rowHeight * Double(items.count) + 50
        var svg = SVGWriter(width: width, height: height)
        _ = header(&svg, title: title, legend: legend, left: 0)
        let left = min(max((items.map { textWidth($0.name, size: labelSize) }.max() ?? 0) + 30, 70), 200)
        let positive = items.flatMap { [$0.p10, $0.median, $0.mean, $0.p90, $0.p99, $0.max] }.filter { $0 > 0 && $0.isFinite }
        let low = pow(10, floor(log10(max(positive.min() ?? 1, 1))))
        var high = pow(10, ceil(log10(positive.max() ?? 10)))
        if high <= low { high = low * 10 }
        let x0 = left, x1 = width - 24, y0 = top, y1 = height - 44
        let scale = { (v: Double) in x0 + (log10(max(v, low)) - log10(low)) / (log10(high) - log10(low)) * (x1 - x0) }
        for tick in Ticks.logarithmic(low, high) {
            svg.line(x1: scale(tick), y1: y0, x2: scale(tick), y2: y1, stroke: gridColor)
            svg.text(NumberFormat.short(tick), x: scale(tick), y: y1 + 15, anchor: .middle, size: tickSize, cssClass: "tick-label")
        }
        for (index, item) in items.enumerated() {
            let center = y0 + rowHeight * (Double(index) + 0.5)
            let tooltip = "\(item.name): p10 \(NumberFormat.short(item.p10)), median \(NumberFormat.short(item.median)), mean \(NumberFormat.short(item.mean)), p90 \(NumberFormat.short(item.p90)), p99 \(NumberFormat.short(item.p99)), max \(NumberFormat.short(item.max))"
            svg.line(x1: scale(item.p90), y1: center, x2: scale(item.p99), y2: center, stroke: Palette.blue, width: 2)
            svg.line(x1: scale(item.p99), y1: center - 7, x2: scale(item.p99), y2: center + 7, stroke: Palette.blue, width: 2)
            svg.line(x1: scale(item.p99), y1: center, x2: scale(item.max), y2: center, stroke: "#999999", width: 1, dashed: true)
            svg.rect(x: scale(item.p10), y: center - 11, width: scale(item.p90) - scale(item.p10), height: 22, fill: Palette.skyBlue,
                     cssClass: "box", stroke: Palette.blue, title: tooltip, data: [("median", String(item.median))])
            svg.line(x1: scale(item.median), y1: center - 11, x2: scale(item.median), y2: center + 11, stroke: Palette.black, width: 2.5, cssClass: "median")
            let mx = scale(item.mean)
            svg.raw("<path d=\"M\(SVGWriter.c(mx)) \(SVGWriter.c(center - 6)) L\(SVGWriter.c(mx + 6)) \(SVGWriter.c(center)) L\(SVGWriter.c(mx)) \(SVGWriter.c(center + 6)) L\(SVGWriter.c(mx - 6)) \(SVGWriter.c(center)) Z\" fill=\"\(Palette.vermillion)\" class=\"mean\"/>")
            svg.circle(x: scale(item.max), y: center, radius: 3.5, fill: Palette.black, title: "max \(NumberFormat.short(item.max))", cssClass: "max")
            svg.text("median \(NumberFormat.short(item.median))", x: scale(item.median), y: center - 14, anchor: .middle, size: 10, fill: "#333333", cssClass: "value-label")
            svg.text(item.name, x: x0 - 8, y: center + 4, anchor: .end, size: tickSize, cssClass: "category-label")
        }
        svg.line(x1: x0, y1: y1, x2: x1, y2: y1, stroke: axisColor)
        svg.line(x1: x0, y1: y0, x2: x0, y2: y1, stroke: axisColor)
        svg.text(valueAxis, x: (x0 + x1) / 2, y: height - 10, anchor: .middle, size: labelSize, cssClass: "axis-label")
        return svg.render(title: title)
    }

    // MARK: calibration

    /// A reliability diagram: per run, the accuracy of the most probable class against its mean
    /// probability in bins, with the diagonal of perfect calibration.
    public static func reliability(title: String, runs: [(name: String, bins: [ReliabilityBin])], width: Double = 560, height: Double = 400) -> String {
        let series = runs.enumerated().map { index, run in
            LineSeries(
                name: run.name, points: run.bins.filter { $0.count > 0 }.map { (x: $0.meanConfidence, y: $0.accuracy) },
                color: Palette.color(index), markers: true)
        }
        return lines(
            title: title, series: series, xAxis: "predicted probability of the most likely class (mean per bin)",
            yAxis: "observed accuracy (share correct)", xRange: (0.3, 1), yRange: (0, 1), diagonal: true, width: width, height: height,
            xFormat: { NumberFormat.trimmed($0, digits: 2) }, yFormat: { NumberFormat.trimmed($0, digits: 2) })
    }
}
