import Foundation
import MedDataset

/// What lies under the roots: datasets (Zarr groups with a MedSR card) and training runs
/// (folders with a `model.safetensors`). Found by a bounded walk; hidden folders are skipped.
struct Catalog: Sendable {
    struct Entry: Sendable, Codable, Equatable {
        var id: String
        var name: String
    }

    var datasets: [Entry] = []
    var runs: [Entry] = []

    /// Folders looked into per root, at most (a root pointed at `/` must not walk the disk).
    static let maxFolders = 4000
    static let maxDepth = 5

    static func scan(_ files: RootFiles) -> Catalog {
        var catalog = Catalog()
        let fm = FileManager.default
        for (index, root) in files.roots.enumerated() {
            var queue: [(URL, Int)] = [(URL(fileURLWithPath: root), 0)]
            var visited = 0
            while !queue.isEmpty, visited < maxFolders {
                let (folder, depth) = queue.removeFirst()
                visited += 1
                // Only what resolves under the root (a symlinked folder pointing out is skipped).
                guard let id = files.id(of: folder, root: index), files.resolve(id) != nil else { continue }
                let name = id == "\(index)" ? folder.lastPathComponent : String(id.drop { $0 != "/" }.dropFirst())
                if Dataset.isDataset(folder), (try? Dataset(root: folder)) != nil {
                    catalog.datasets.append(Entry(id: id, name: name))
                    continue
                }
                if fm.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
                    catalog.runs.append(Entry(id: id, name: name))
                }
                guard depth < maxDepth, let children = try? fm.contentsOfDirectory(atPath: folder.path) else { continue }
                for child in children.sorted() where !child.hasPrefix(".") {
                    let url = folder.appendingPathComponent(child)
                    var isDirectory: ObjCBool = false
                    if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                        queue.append((url, depth + 1))
                    }
                }
            }
        }
        return catalog
    }
}
