import Foundation
import MedImage
import MedIO

/// The expert contours drawn on one Sunnybrook image: `IM-0001-NNNN-{i,o,p1,p2}contour-manual.txt`
/// under `<patient>/contours-manual/IRCCI-expert/`, one `x y` vertex per line in image pixels
/// (x = column, y = row, 0.5-pixel steps), a closed polygon.
public struct SunnybrookContours: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// `icontour`: the endocardial border (the blood pool).
        case inner = "icontour"
        /// `ocontour`: the epicardial border.
        case outer = "ocontour"

        /// The contour a mask is made from (myocardium needs both).
        static func named(_ mask: String) -> [Kind]? {
            switch mask {
            case "endocardium": [.inner]
            case "epicardium": [.outer]
            case "myocardium": [.outer, .inner]
            default: nil
            }
        }
    }

    /// The masks this source can make, in their usual order.
    public static let maskNames = ["endocardium", "epicardium", "myocardium"]

    /// Contour files by kind, relative to the input (papillary contours p1/p2 are not masks).
    public var files: [Kind: String] = [:]

    /// `i+o`, `i`, `o` or `none`: which contours exist (the manifest's `contours` column).
    public static func summary(_ c: SunnybrookContours?) -> String {
        let kinds = [(Kind.inner, "i"), (.outer, "o")].filter { c?.files[$0.0] != nil }.map(\.1)
        return kinds.isEmpty ? "none" : kinds.joined(separator: "+")
    }

    /// The vertices of a contour file as (column, row) pairs.
    static func vertices(path: String) throws -> [(x: Double, y: Double)] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RecipeError(path: path, "contour file missing or not text")
        }
        var out = [(x: Double, y: Double)]()
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            if fields.isEmpty { continue }
            guard fields.count == 2, let x = Double(fields[0]), let y = Double(fields[1]), x.isFinite, y.isFinite else {
                throw RecipeError(path: path, "line \(n + 1) is not 'x y' (two numbers, image pixels)")
            }
            out.append((x, y))
        }
        guard out.count >= 3 else { throw RecipeError(path: path, "a contour needs at least 3 vertices, found \(out.count)") }
        return out
    }

    /// The pixels whose centre (column, row) lies inside the closed polygon or on its border:
    /// scikit-image's `draw.polygon(rows=y, cols=x)` (its bounding box, and its crossing test:
    /// a centre is inside when rays to the right and to the left cross the border an odd number
    /// of times, on the border when the two counts differ in parity, on a vertex within 1e-12),
    /// so masks equal its rasterisation.
    static func rasterise(_ vertices: [(x: Double, y: Double)], rows: Int, columns: Int) -> Mask {
        var values = [UInt8](repeating: 0, count: rows * columns)
        guard let minY = vertices.map(\.y).min(), let maxY = vertices.map(\.y).max(),
              let minX = vertices.map(\.x).min(), let maxX = vertices.map(\.x).max() else {
            return Mask(rows: rows, columns: columns, values: values)
        }
        let r0 = Int(max(0, minY)), r1 = min(rows - 1, Int(maxY.rounded(.up)))
        let c0 = Int(max(0, minX)), c1 = min(columns - 1, Int(maxX.rounded(.up)))
        guard r0 <= r1, c0 <= c1 else { return Mask(rows: rows, columns: columns, values: values) }
        for r in r0 ... r1 {
            for c in c0 ... c1 where isInsideOrOnBorder(vertices, x: Double(c), y: Double(r)) {
                values[r * columns + c] = 1
            }
        }
        return Mask(rows: rows, columns: columns, values: values)
    }

    static func isInsideOrOnBorder(_ v: [(x: Double, y: Double)], x: Double, y: Double) -> Bool {
        let eps = 1e-12
        var right = 0, left = 0
        var x1 = v[v.count - 1].x - x, y1 = v[v.count - 1].y - y
        for p in v {
            let x0 = p.x - x, y0 = p.y - y
            if abs(x0) < eps && abs(y0) < eps { return true }  // a vertex
            if (y0 > 0) != (y1 > 0), (x0 * y1 - x1 * y0) / (y1 - y0) > 0 { right += 1 }
            if (y0 < 0) != (y1 < 0), (x0 * y1 - x1 * y0) / (y1 - y0) < 0 { left += 1 }
            (x1, y1) = (x0, y0)
        }
        return right & 1 != left & 1 || right & 1 == 1  // on an edge, or inside
    }

    /// The named masks of an image of `rows × columns`: endocardium (inside `i`), epicardium
    /// (inside `o`), myocardium (inside `o`, not inside `i`). A mask whose contours are not all
    /// drawn on the image is empty (the `contours` column says which are). Empty when there
    /// are no contours at all.
    func masks(_ names: [String], rows: Int, columns: Int, input: URL) throws -> [Mask] {
        var drawn = [Kind: Mask]()
        for (kind, path) in files {
            drawn[kind] = Self.rasterise(try Self.vertices(path: input.appendingPathComponent(path).path), rows: rows, columns: columns)
        }
        let empty = Mask(rows: rows, columns: columns, values: [UInt8](repeating: 0, count: rows * columns))
        return names.map { name in
            let kinds = Kind.named(name) ?? []
            guard kinds.allSatisfy({ drawn[$0] != nil }), let first = kinds.first.flatMap({ drawn[$0] }) else { return empty }
            guard kinds.count == 2, let hole = drawn[kinds[1]] else { return first }
            return Mask(rows: rows, columns: columns, values: zip(first.values, hole.values).map { $0 != 0 && $1 == 0 ? 1 : 0 })
        }
    }
}

extension ItemProcessor {
    /// One Sunnybrook image: the DICOM, its named masks from the expert contours, and with a
    /// context its neighbours (read the same way, same size required).
    func sunnybrookImage(_ item: SourceItem, _ url: URL) throws -> SourceImage {
        var options = ReadOptions()
        options.maxBytes = maxBytes
        options.frames = .index(0)
        let image = try DICOMReader.read(path: url.path, options: options)
        let pixels = image.pixels.frame(0)
        var out = SourceImage(pixels: pixels, rescale: image.metadata.rescale, modality: image.metadata.modality,
                              rescaleType: image.metadata.rescaleType, label: item.label)
        if let contours = item.contours, !recipe.masks.isEmpty {
            out.masks = try contours.masks(recipe.masks, rows: pixels.rows, columns: pixels.columns, input: input)
        }
        for path in item.context {
            let p = path == item.path ? pixels : try DICOMReader.read(path: input.appendingPathComponent(path).path, options: options).pixels.frame(0)
            guard p.rows == pixels.rows, p.columns == pixels.columns, p.samplesPerPixel == 1 else {
                throw DICOMError(.corrupt, path: url.path, "its neighbour \(path) is \(p.columns)×\(p.rows), the image \(pixels.columns)×\(pixels.rows); no context stack")
            }
            out.context.append(p)
        }
        return out
    }
}
