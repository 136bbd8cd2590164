import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@testable import Report

/// Parses an SVG (inline form, no namespace) as XML; fails the test if it is not well formed.
func parseSVG(_ svg: String) throws -> XMLElement {
    let document = try XMLDocument(xmlString: svg, options: [])
    let root = try #require(document.rootElement())
    #expect(root.name == "svg")
    return root
}

/// Every element named `name` under `element`, depth first.
func elements(_ name: String, in element: XMLElement) -> [XMLElement] {
    var found: [XMLElement] = []
    for child in element.children ?? [] {
        guard let child = child as? XMLElement else { continue }
        if child.name == name { found.append(child) }
        found += elements(name, in: child)
    }
    return found
}

func attribute(_ name: String, of element: XMLElement) -> String? { element.attribute(forName: name)?.stringValue }

func number(_ name: String, of element: XMLElement) -> Double { Double(attribute(name, of: element) ?? "") ?? .nan }

/// The text of every <text> element.
func texts(in element: XMLElement) -> [String] { elements("text", in: element).compactMap(\.stringValue) }

@Suite struct ChartTests {
    @Test func verticalBarChartHasOneBarPerValueInProportion() throws {
        let svg = Chart.bars(
            title: "Class balance", categories: ["A", "B", "tie"],
            series: [BarSeries(name: "rows", values: [352, 353, 295])], valueAxis: "rows (count)", categoryAxis: "vote")
        let root = try parseSVG(svg)
        let bars = elements("rect", in: root).filter { attribute("class", of: $0) == "bar" }
        #expect(bars.count == 3)
        let heights = bars.map { number("height", of: $0) }
        #expect(abs(heights[0] / heights[2] - 352.0 / 295.0) < 0.01)
        #expect(abs(heights[1] / heights[0] - 353.0 / 352.0) < 0.01)
        // Bars stand on the same baseline.
        let bottoms = bars.map { number("y", of: $0) + number("height", of: $0) }
        #expect(bottoms.allSatisfy { abs($0 - bottoms[0]) < 0.02 })
        let labels = texts(in: root)
        for expected in ["Class balance", "A", "B", "tie", "352", "353", "295", "rows (count)", "vote", "0", "100", "200", "300"] {
            #expect(labels.contains(expected), "missing text \(expected)")
        }
        #expect(bars.map { attribute("data-value", of: $0) } == ["352.0", "353.0", "295.0"])
        // One series: no legend.
        #expect(elements("rect", in: root).filter { attribute("class", of: $0) == "legend-swatch" }.isEmpty)
    }

    @Test func horizontalBarsGrowAlongX() throws {
        let svg = Chart.bars(
            title: "h", categories: ["one", "two"], series: [BarSeries(name: "n", values: [10, 40])], orientation: .horizontal,
            valueAxis: "count", categoryAxis: "thing")
        let bars = elements("rect", in: try parseSVG(svg)).filter { attribute("class", of: $0) == "bar" }
        #expect(bars.count == 2)
        #expect(abs(number("width", of: bars[1]) / number("width", of: bars[0]) - 4) < 0.01)
        #expect(abs(number("height", of: bars[1]) - number("height", of: bars[0])) < 0.01)
    }

    @Test func groupedAndStackedBarsHaveALegendAndDistinctColours() throws {
        let series = [BarSeries(name: "run 1", values: [1, 2]), BarSeries(name: "run 2", values: [3, 4])]
        for layout in [Chart.Layout.grouped, .stacked] {
            let root = try parseSVG(Chart.bars(title: "t", categories: ["x", "y"], series: series, layout: layout, valueAxis: "v", categoryAxis: "c"))
            let bars = elements("rect", in: root).filter { attribute("class", of: $0) == "bar" }
            #expect(bars.count == 4)
            let swatches = elements("rect", in: root).filter { attribute("class", of: $0) == "legend-swatch" }
            #expect(swatches.count == 2)
            #expect(Set(swatches.compactMap { attribute("fill", of: $0) }).count == 2)
            #expect(texts(in: root).contains("run 1") && texts(in: root).contains("run 2"))
            for swatch in swatches { #expect(Palette.series.contains(attribute("fill", of: swatch) ?? "")) }
        }
        // Stacked: the two segments of a category together are as tall as 1 + 3 = 4 units.
        let root = try parseSVG(Chart.bars(title: "t", categories: ["x", "y"], series: series, layout: .stacked, valueAxis: "v", categoryAxis: "c", valueRange: (0, 8)))
        let bars = elements("rect", in: root).filter { attribute("class", of: $0) == "bar" }
        let x = bars.filter { attribute("data-category", of: $0) == "x" }.map { number("height", of: $0) }.reduce(0, +)
        let y = bars.filter { attribute("data-category", of: $0) == "y" }.map { number("height", of: $0) }.reduce(0, +)
        #expect(abs(y / x - 6.0 / 4.0) < 0.01)
    }

    @Test func textIsEscaped() throws {
        let name = "gpt<&>\"'x"
        let svg = Chart.bars(
            title: "Models <&>", categories: [name], series: [BarSeries(name: "a<b", values: [1]), BarSeries(name: "c&d", values: [2])],
            orientation: .horizontal, valueAxis: "battles <count>", categoryAxis: "LLM & co")
        #expect(!svg.contains("<&>"))
        let root = try parseSVG(svg)
        let labels = texts(in: root)
        #expect(labels.contains(name))
        #expect(labels.contains("Models <&>"))
        #expect(labels.contains("a<b") && labels.contains("c&d"))
        #expect(labels.contains("battles <count>"))
        #expect(xmlEscape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
    }

    @Test func lineChartDrawsEverySeriesWithLegend() throws {
        let svg = Chart.lines(
            title: "Learning curves", series: [
                LineSeries(name: "fold 1", points: [(1, 1.09), (2, 1.05), (3, 1.03)]),
                LineSeries(name: "fold 2", points: [(1, 1.08), (2, 1.04)]),
            ], xAxis: "round (count)", yAxis: "log loss (nats)")
        let root = try parseSVG(svg)
        let lines = elements("polyline", in: root)
        #expect(lines.count == 2)
        #expect(lines.map { (attribute("points", of: $0) ?? "").split(separator: " ").count } == [3, 2])
        #expect(Set(lines.compactMap { attribute("stroke", of: $0) }).count == 2)
        let labels = texts(in: root)
        for expected in ["Learning curves", "fold 1", "fold 2", "round (count)", "log loss (nats)"] { #expect(labels.contains(expected)) }
        // A lower loss is drawn lower down (larger SVG y).
        let first = (attribute("points", of: lines[0]) ?? "").split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        #expect(first[0] < first[1] && first[1] < first[2])
    }

    @Test func matrixHasOneCellPerEntryShadedByCount() throws {
        let svg = Chart.matrix(
            title: "Confusion matrix", rows: ["A wins", "B wins", "tie"], columns: ["A wins", "B wins", "tie"],
            values: [[208, 113, 31], [103, 212, 38], [131, 108, 56]], rowAxis: "true class", columnAxis: "predicted class")
        let root = try parseSVG(svg)
        let cells = elements("rect", in: root).filter { attribute("class", of: $0) == "cell" }
        #expect(cells.count == 9)
        #expect(attribute("fill", of: cells[4]) == Palette.blue)  // the largest count is full blue
        let labels = texts(in: root)
        for expected in ["208", "212", "56", "true class", "predicted class", "59.1% of row"] { #expect(labels.contains(expected)) }
    }

    @Test func reliabilityDiagramHasTheDiagonalAndOnePointPerFilledBin() throws {
        let bins = ReliabilityBin.bins(confidence: [0.35, 0.38, 0.55, 0.56, 0.95], correct: [false, true, true, true, true])
        #expect(bins.count == 10)
        #expect(bins[3].count == 2 && bins[3].accuracy == 0.5)
        #expect(bins[5].count == 2 && bins[5].accuracy == 1)
        #expect(bins[9].count == 1)
        let root = try parseSVG(Chart.reliability(title: "Reliability", runs: [("run", bins)]))
        #expect(elements("line", in: root).filter { attribute("class", of: $0) == "diagonal" }.count == 1)
        #expect(elements("circle", in: root).filter { attribute("class", of: $0) == "marker" }.count == 3)
        #expect(texts(in: root).contains("perfect calibration"))
    }

    @Test func distributionsUseALogAxis() throws {
        let root = try parseSVG(Chart.distributions(
            title: "Lengths", items: [Distribution(name: "response", p10: 100, median: 988, mean: 1300, p90: 2700, p99: 7000, max: 24000)],
            valueAxis: "length (characters, log scale)"))
        let labels = texts(in: root)
        for expected in ["100", "1,000", "10k", "100k", "response", "median 988"] { #expect(labels.contains(expected), "missing \(expected)") }
        let box = try #require(elements("rect", in: root).first { attribute("class", of: $0) == "box" })
        let median = try #require(elements("line", in: root).first { attribute("class", of: $0) == "median" })
        // On a log axis from 100 to 100k, 988 sits about a third of the way from 100 to 2,700's position.
        let x10 = number("x", of: box), x90 = x10 + number("width", of: box), xm = number("x1", of: median)
        let expected = (log10(988.0) - 2) / (log10(2700.0) - 2)
        #expect(abs((xm - x10) / (x90 - x10) - expected) < 0.01)
    }

    @Test func numbersAreReadable() {
        #expect(NumberFormat.short(1234) == "1,234")
        #expect(NumberFormat.short(25_000) == "25k")
        #expect(NumberFormat.short(0.25) == "0.25")
        #expect(NumberFormat.short(0.005) == "0.005")
        #expect(NumberFormat.short(2_500_000) == "2.5M")
        #expect(NumberFormat.percent(0.482) == "48.2%")
        #expect(Ticks.linear(0, 353) == [0, 100, 200, 300])
        #expect(Ticks.logarithmic(10, 100_000) == [10, 100, 1000, 10000, 100_000])
    }
}
