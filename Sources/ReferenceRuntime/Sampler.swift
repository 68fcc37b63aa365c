import Foundation

/// How the next token is picked from the logits.
public struct SamplingOptions: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Nucleus sampling: keep the most likely tokens whose probabilities add up to top_p.
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingOptions()
}

/// Picks tokens with a seeded generator of our own (SplitMix64), so a seed gives the same text
/// on every machine and thread count.
public struct Sampler: Sendable {
    public let options: SamplingOptions
    var state: UInt64

    public init(_ options: SamplingOptions) {
        self.options = options
        state = options.seed
    }

    mutating func nextUnit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    public mutating func next(_ logits: ArraySlice<Float>) -> Int {
        if options.temperature <= 0 { return Kernels.argmax(logits) }
        // Softmax at temperature T in double, then the smallest set of most likely tokens whose
        // mass reaches top_p (ties broken by lower id), renormalised.
        let t = Double(options.temperature)
        let maxLogit = Double(logits.max() ?? 0)
        var probs = logits.map { exp((Double($0) - maxLogit) / t) }
        let total = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= total }
        var order = Array(probs.indices)
        order.sort { probs[$0] != probs[$1] ? probs[$0] > probs[$1] : $0 < $1 }
        var kept = 0, mass = 0.0
        let topP = Double(min(max(options.topP, 0), 1))
        repeat {
            mass += probs[order[kept]]
            kept += 1
        } while kept < order.count && mass < topP
        let u = nextUnit() * mass
        var acc = 0.0
        for i in 0..<kept {
            acc += probs[order[i]]
            if u < acc { return order[i] }
        }
        return order[kept - 1]
    }
}
