/// Backtracking matcher of a RegexNode tree: each node calls its continuation `k` with every
/// end position it can reach, in the order Oniguruma tries them (alternatives left to right,
/// greedy repetitions longest first), and stops at the first continuation that succeeds.
struct RegexMatcher {
    let text: [Unicode.Scalar]

    func match(_ node: RegexNode, _ i: Int, _ k: (Int) -> Bool) -> Bool {
        switch node {
        case let .scalar(s, caseless):
            guard i < text.count else { return false }
            let t = text[i]
            guard t == s || (caseless && RegexNode.fold(t) == RegexNode.fold(s)) else { return false }
            return k(i + 1)
        case .set(let set):
            guard i < text.count, set.contains(text[i]) else { return false }
            return k(i + 1)
        case .sequence(let items):
            return sequence(items[...], i, k)
        case .alternation(let branches):
            for b in branches where match(b, i, k) { return true }
            return false
        case let .lookahead(inner, negative):
            let found = match(inner, i) { _ in true }
            return found != negative ? k(i) : false
        case let .repetition(inner, min, max, greedy, possessive):
            if let single = singleScalar(inner) {
                return repeatSingle(single, min: min, max: max, greedy: greedy, possessive: possessive, i, k)
            }
            if possessive { return repeatPossessive(inner, min: min, max: max, i, k) }
            return repeatGeneral(inner, min: min, max: max, greedy: greedy, count: 0, i, k)
        }
    }

    func sequence(_ items: ArraySlice<RegexNode>, _ i: Int, _ k: (Int) -> Bool) -> Bool {
        guard let first = items.first else { return k(i) }
        return match(first, i) { j in sequence(items.dropFirst(), j, k) }
    }

    /// A node that always consumes exactly one scalar: its repetitions are counted in a loop
    /// (no recursion per repeat, so a long run of spaces cannot exhaust the stack).
    func singleScalar(_ node: RegexNode) -> RegexNode? {
        switch node {
        case .scalar, .set: return node
        default: return nil
        }
    }

    func matchesOne(_ node: RegexNode, _ i: Int) -> Bool {
        guard i < text.count else { return false }
        switch node {
        case let .scalar(s, caseless): return text[i] == s || (caseless && RegexNode.fold(text[i]) == RegexNode.fold(s))
        case .set(let set): return set.contains(text[i])
        default: return false
        }
    }

    func repeatSingle(_ node: RegexNode, min: Int, max: Int?, greedy: Bool, possessive: Bool, _ i: Int, _ k: (Int) -> Bool) -> Bool {
        var n = 0
        while max.map({ n < $0 }) ?? true, matchesOne(node, i + n) { n += 1 }
        guard n >= min else { return false }
        if possessive { return k(i + n) }
        if greedy {
            for m in stride(from: n, through: min, by: -1) where k(i + m) { return true }
        } else {
            for m in min...n where k(i + m) { return true }
        }
        return false
    }

    func repeatGeneral(_ node: RegexNode, min: Int, max: Int?, greedy: Bool, count: Int, _ i: Int, _ k: (Int) -> Bool) -> Bool {
        let more = max.map { count < $0 } ?? true
        if count >= min && !greedy && k(i) { return true }
        if more, match(node, i, { j in
            // An iteration that consumed nothing ends the repetition (no endless empty loops).
            j == i ? false : repeatGeneral(node, min: min, max: max, greedy: greedy, count: count + 1, j, k)
        }) { return true }
        return count >= min && greedy ? k(i) : false
    }

    func repeatPossessive(_ node: RegexNode, min: Int, max: Int?, _ i: Int, _ k: (Int) -> Bool) -> Bool {
        var j = i, count = 0
        while max.map({ count < $0 }) ?? true {
            var end: Int? = nil
            _ = match(node, j) { e in end = e; return true }
            guard let e = end, e > j else { break }
            j = e
            count += 1
        }
        return count >= min ? k(j) : false
    }
}
