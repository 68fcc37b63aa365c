import Foundation

/// Perplexity of the language model on token windows.
public struct Perplexity: Sendable, Encodable {
    public let perplexity: Double
    public let meanNLL: Double
    public let tokens: Int
    public let windows: Int

    public static func evaluate(_ llm: LlamaRunner, sequences: [[Int64]]) throws -> Perplexity {
        let v = llm.config.vocabSize
        var nll = 0.0, count = 0
        for seq in sequences where seq.count >= 2 {
            var cache = llm.makeCache()
            let embed = try llm.embeddings(of: seq)
            let logits = llm.forward(embed, tokens: seq.count, cache: &cache, allLogits: true)
            for t in 0..<(seq.count - 1) {
                let row = logits[(t * v)..<((t + 1) * v)]
                let m = Double(row.max()!)
                let lse = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
                nll += lse - Double(row[row.startIndex + Int(seq[t + 1])])
                count += 1
            }
        }
        let mean = count == 0 ? 0 : nll / Double(count)
        return Perplexity(perplexity: exp(mean), meanNLL: mean, tokens: count, windows: sequences.count)
    }
}
