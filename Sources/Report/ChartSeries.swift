import Foundation

/// One named series of values, one per category.
public struct BarSeries: Sendable {
    public var name: String
    public var values: [Double]
    public var color: String?

    public init(name: String, values: [Double], color: String? = nil) {
        self.name = name
        self.values = values
        self.color = color
    }
}

/// One named line through (x, y) points.
public struct LineSeries: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: String?
    /// Draw a dot at every point (with its value in a tooltip).
    public var markers: Bool
    public var dashed: Bool

    public init(name: String, points: [(x: Double, y: Double)], color: String? = nil, markers: Bool = false, dashed: Bool = false) {
        self.name = name
        self.points = points
        self.color = color
        self.markers = markers
        self.dashed = dashed
    }
}

/// One row of a distribution chart: summary statistics of a positive quantity.
public struct Distribution: Sendable {
    public var name: String
    public var p10: Double
    public var median: Double
    public var mean: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    public init(name: String, p10: Double, median: Double, mean: Double, p90: Double, p99: Double, max: Double) {
        self.name = name
        self.p10 = p10
        self.median = median
        self.mean = mean
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }
}
