import Quantization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// AWQ's progress on stderr. On a terminal one line, redrawn: the layer, the group being
/// searched, elapsed time and ETA; otherwise (a log file, CI) one line per finished layer.
/// The ETA is the mean time of the layers finished in this process times those left.
final class AWQProgress {
    private let terminal = isatty(2) != 0
    private let start = Progress.now()
    private var layerStart = Progress.now()
    private var firstLayer: Int?
    private var drewLine = false
    private let assembling = Progress(label: "writing")

    func handle(_ event: AWQRun.Event) {
        switch event {
        case let .started(folder):
            FileHandleOutput.stderr("vlmkit: note: AWQ keeps each finished layer in \(folder); if the run is interrupted, the same command with --resume continues it")
        case let .resumed(finished, of):
            FileHandleOutput.stderr("vlmkit: note: resuming an interrupted AWQ run: \(finished) of \(of) layers already done")
        case let .step(s):
            if firstLayer == nil { firstLayer = s.layer; layerStart = Progress.now() }
            let elapsed = Progress.now() - start
            let finishedHere = s.layer - firstLayer! + (s.group == nil ? 1 : 0)
            let eta = finishedHere > 0 ? elapsed / Double(finishedHere) * Double(s.layers - s.layer - (s.group == nil ? 1 : 0)) : nil
            let etaText = eta.map { "ETA " + Progress.duration($0) } ?? "ETA after the first layer"
            if let group = s.group {
                guard terminal else { return }
                FileHandleOutput.stderrRaw("\rawq layer \(s.layer + 1)/\(s.layers)  \(group)  elapsed \(Progress.duration(elapsed))  \(etaText)        ")
                drewLine = true
            } else {
                let took = Progress.now() - layerStart
                layerStart = Progress.now()
                let line = "awq layer \(s.layer + 1)/\(s.layers) done in \(Progress.duration(took))  elapsed \(Progress.duration(elapsed))  \(etaText)"
                FileHandleOutput.stderrRaw(terminal ? "\r" + line + "        \n" : line + "\n")
                drewLine = false
            }
        case let .assembling(done, total):
            assembling.update(done: done, total: total)
        }
    }

    func finish() {
        if drewLine { FileHandleOutput.stderrRaw("\n") }
        assembling.finish()
    }
}
