import Foundation

/// Remembers the ids of words already merged (text repeats words constantly); bounded, and
/// safe to share between threads.
// Unchecked Sendable: `entries` is only touched under `lock`.
final class WordCache<Key: Hashable>: @unchecked Sendable {
    private var entries: [Key: [Int]] = [:]
    private let lock = NSLock()
    let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    func ids(for word: Key, compute: () -> [Int]) -> [Int] {
        lock.lock()
        if let hit = entries[word] { lock.unlock(); return hit }
        lock.unlock()
        let value = compute()
        lock.lock()
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = value
        lock.unlock()
        return value
    }
}
