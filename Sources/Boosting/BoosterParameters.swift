/// The settings of a 3-class XGBoost model, with typed fields, rendered to XGBoost's
/// string parameters by `dictionary`.
///
/// Coded (JSON in a run folder's config) under XGBoost's own parameter names (`eta`,
/// `max_depth`, ...); a missing key decodes to its default here. Defaults are XGBoost's
/// defaults for trees, except `tree_method` (`hist`, not `auto`) and `num_class` (3).
public struct BoosterParameters: Codable, Equatable, Sendable {
    /// XGBoost's `booster`.
    public enum Kind: String, Codable, Sendable {
        /// Gradient-boosted trees.
        case gbtree
        /// A linear model fitted by coordinate descent.
        case gblinear
    }

    /// XGBoost's `tree_method` (trees only).
    public enum TreeMethod: String, Codable, Sendable {
        case hist, approx, exact, auto
    }

    /// The order in which the linear booster's coordinate descent visits features
    /// (XGBoost's `feature_selector`, gblinear only).
    public enum FeatureSelector: String, Codable, Sendable {
        case cyclic, shuffle, random, greedy, thrifty
    }

    /// `booster`: trees or a linear model.
    public var booster: Kind
    /// `objective`; `multi:softprob` gives a probability per class.
    public var objective: String
    /// `num_class`.
    public var classCount: Int
    /// `tree_method` (trees only).
    public var treeMethod: TreeMethod
    /// `eta`, the shrinkage of each round.
    public var learningRate: Double
    /// `max_depth` (trees only).
    public var maxDepth: Int
    /// `min_child_weight`, the least hessian sum in a leaf (trees only).
    public var minChildWeight: Double
    /// `subsample`, the fraction of rows each tree sees (trees only).
    public var subsample: Double
    /// `colsample_bytree`, the fraction of columns each tree sees (trees only).
    public var columnSampleByTree: Double
    /// `lambda`, the L2 penalty on leaf values or linear weights.
    public var l2Regularization: Double
    /// `alpha`, the L1 penalty on leaf values or linear weights.
    public var l1Regularization: Double
    /// `feature_selector` (linear only; the updater is always `coord_descent`).
    public var featureSelector: FeatureSelector
    /// `seed`, for row and column sampling.
    public var seed: Int
    /// `nthread`; nil lets XGBoost use every core. Set 1 for bit-for-bit repeatable trees.
    public var threadCount: Int?
    /// `eval_metric` on evaluation sets; early stopping watches it.
    public var evalMetric: String
    /// Any further XGBoost parameters (`gamma`, `max_bin`, ...), applied last.
    public var extra: [String: String]

    /// Parameters with XGBoost's defaults, overridden by the arguments given.
    public init(
        booster: Kind = .gbtree,
        objective: String = "multi:softprob",
        classCount: Int = 3,
        treeMethod: TreeMethod = .hist,
        learningRate: Double = 0.3,
        maxDepth: Int = 6,
        minChildWeight: Double = 1,
        subsample: Double = 1,
        columnSampleByTree: Double = 1,
        l2Regularization: Double = 1,
        l1Regularization: Double = 0,
        featureSelector: FeatureSelector = .cyclic,
        seed: Int = 0,
        threadCount: Int? = nil,
        evalMetric: String = "mlogloss",
        extra: [String: String] = [:]
    ) {
        self.booster = booster
        self.objective = objective
        self.classCount = classCount
        self.treeMethod = treeMethod
        self.learningRate = learningRate
        self.maxDepth = maxDepth
        self.minChildWeight = minChildWeight
        self.subsample = subsample
        self.columnSampleByTree = columnSampleByTree
        self.l2Regularization = l2Regularization
        self.l1Regularization = l1Regularization
        self.featureSelector = featureSelector
        self.seed = seed
        self.threadCount = threadCount
        self.evalMetric = evalMetric
        self.extra = extra
    }

    /// The parameters as XGBoost takes them (`XGBoosterSetParam` names and values). Tree-only
    /// settings are left out for `gblinear`, and linear-only ones for `gbtree`.
    public var dictionary: [String: String] {
        var result: [String: String] = [
            "booster": booster.rawValue,
            "objective": objective,
            "num_class": String(classCount),
            "eta": String(learningRate),
            "lambda": String(l2Regularization),
            "alpha": String(l1Regularization),
            "seed": String(seed),
            "eval_metric": evalMetric,
        ]
        switch booster {
        case .gbtree:
            result["tree_method"] = treeMethod.rawValue
            result["max_depth"] = String(maxDepth)
            result["min_child_weight"] = String(minChildWeight)
            result["subsample"] = String(subsample)
            result["colsample_bytree"] = String(columnSampleByTree)
        case .gblinear:
            result["updater"] = "coord_descent"
            result["feature_selector"] = featureSelector.rawValue
        }
        if let threadCount { result["nthread"] = String(threadCount) }
        result.merge(extra) { _, extra in extra }
        return result
    }

    enum CodingKeys: String, CodingKey {
        case booster, objective, subsample, seed, extra
        case classCount = "num_class"
        case treeMethod = "tree_method"
        case learningRate = "eta"
        case maxDepth = "max_depth"
        case minChildWeight = "min_child_weight"
        case columnSampleByTree = "colsample_bytree"
        case featureSelector = "feature_selector"
        case l2Regularization = "lambda"
        case l1Regularization = "alpha"
        case threadCount = "nthread"
        case evalMetric = "eval_metric"
    }

    /// Decodes XGBoost-named keys; any key left out takes its default. A key is also found in
    /// the form a decoder with `.convertFromSnakeCase` (how run folders are read) turns it into
    /// ("num_class" -> "numClass"): matched only as "num_class", every such setting of a saved
    /// run silently took its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlexibleKey.self)
        let defaults = BoosterParameters()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: FlexibleKey(key.rawValue))
                ?? container.decodeIfPresent(T.self, forKey: FlexibleKey(camelCase: key.rawValue)) ?? fallback
        }
        self.init(
            booster: try value(.booster, defaults.booster),
            objective: try value(.objective, defaults.objective),
            classCount: try value(.classCount, defaults.classCount),
            treeMethod: try value(.treeMethod, defaults.treeMethod),
            learningRate: try value(.learningRate, defaults.learningRate),
            maxDepth: try value(.maxDepth, defaults.maxDepth),
            minChildWeight: try value(.minChildWeight, defaults.minChildWeight),
            subsample: try value(.subsample, defaults.subsample),
            columnSampleByTree: try value(.columnSampleByTree, defaults.columnSampleByTree),
            l2Regularization: try value(.l2Regularization, defaults.l2Regularization),
            l1Regularization: try value(.l1Regularization, defaults.l1Regularization),
            featureSelector: try value(.featureSelector, defaults.featureSelector),
            seed: try value(.seed, defaults.seed),
            threadCount: try container.decodeIfPresent(Int.self, forKey: FlexibleKey(CodingKeys.threadCount.rawValue)),
            evalMetric: try value(.evalMetric, defaults.evalMetric),
            extra: try value(.extra, defaults.extra)
        )
    }
}

/// A coding key for any name: an XGBoost name as written, or its camel-case form.
struct FlexibleKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    /// "num_class" -> "numClass", as JSONDecoder's `.convertFromSnakeCase` spells it.
    init(camelCase name: String) {
        let parts = name.split(separator: "_", omittingEmptySubsequences: true)
        stringValue = (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
