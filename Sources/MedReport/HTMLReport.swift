public import Foundation

/// One self-contained HTML page (no network: styles inline, images as data URIs, plots as
/// inline SVG) that a clinician can open and read.
public struct HTMLReport: Sendable {
    public var title: String
    private var sections: [String] = []

    public init(title: String) { self.title = title }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A heading and a paragraph of plain text.
    public mutating func addText(heading: String?, _ text: String) {
        var html = ""
        if let heading { html += "<h2>\(Self.escape(heading))</h2>\n" }
        html += "<p>\(Self.escape(text))</p>"
        sections.append(html)
    }

    /// A table; `flags` marks rows to highlight (e.g. a method that degrades the tumour region).
    public mutating func addTable(heading: String?, header: [String], rows: [[String]], flags: Set<Int> = []) {
        var html = heading.map { "<h2>\(Self.escape($0))</h2>\n" } ?? ""
        html += "<table><thead><tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for (i, row) in rows.enumerated() {
            html += (flags.contains(i) ? "<tr class=\"flag\">" : "<tr>") + row.map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>\n"
        }
        sections.append(html + "</tbody></table>")
    }

    /// Raw SVG (from `SVGPlot`), with a heading and a caption.
    public mutating func addFigure(heading: String?, svg: String, caption: String) {
        var html = heading.map { "<h2>\(Self.escape($0))</h2>\n" } ?? ""
        html += "<figure>\(svg)<figcaption>\(Self.escape(caption))</figcaption></figure>"
        sections.append(html)
    }

    /// A gallery row: labelled PNG images (bytes), shown side by side, pixelated when enlarged;
    /// a click shows an image at full resolution (or larger, pixel for pixel) over the page.
    public mutating func addGalleryRow(title: String, images: [(label: String, png: [UInt8])], note: String) {
        var html = "<div class=\"tile\"><h3>\(Self.escape(title))</h3><div class=\"row\">"
        for (label, png) in images {
            html += "<figure><img alt=\"\(Self.escape(label))\" src=\"data:image/png;base64,\(Data(png).base64EncodedString())\">"
                + "<figcaption>\(Self.escape(label))</figcaption></figure>"
        }
        sections.append(html + "</div><p class=\"note\">\(Self.escape(note))</p></div>")
    }

    public mutating func addHeading(_ text: String) { sections.append("<h2>\(Self.escape(text))</h2>") }

    /// The whole page.
    public func html() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
        <style>
        body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
        tr.flag td { background: #ffe3e0; }
        figure { display: inline-block; margin: 4px 8px 4px 0; vertical-align: top; text-align: center; }
        figcaption { font-size: .85em; color: #555; }
        .tile img { width: 140px; height: 140px; image-rendering: pixelated; border: 1px solid #bbb; }
        .note { font-size: .85em; color: #555; margin: 0 0 1em; }
        .tile img { cursor: zoom-in; }
        #zoom { position: fixed; inset: 0; background: rgba(0,0,0,.85); display: none; align-items: center;
                justify-content: center; flex-direction: column; cursor: zoom-out; z-index: 10; }
        #zoom.open { display: flex; }
        #zoom img { image-rendering: pixelated; max-width: 96vw; max-height: 90vh; background: #000; }
        #zoom p { color: #eee; margin: .5em; }
        </style></head><body>
        <h1>\(Self.escape(title))</h1>
        \(sections.joined(separator: "\n"))
        <div id="zoom" role="dialog" aria-label="full-resolution view"><img alt=""><p></p></div>
        <script>
        (function () {
          var z = document.getElementById('zoom'), zi = z.querySelector('img'), zp = z.querySelector('p');
          function close() { z.classList.remove('open'); zi.removeAttribute('src'); }
          document.querySelectorAll('.tile img').forEach(function (im) {
            im.addEventListener('click', function () {
              zi.src = im.src;
              var k = Math.max(1, Math.floor(Math.min(innerWidth * 0.96 / im.naturalWidth, innerHeight * 0.9 / im.naturalHeight)));
              zi.style.width = (im.naturalWidth * k) + 'px';
              zi.style.height = (im.naturalHeight * k) + 'px';
              var tile = im.closest('.tile');
              zp.textContent = im.alt + ' — ' + (tile ? tile.querySelector('h3').textContent : '') + ' (' + im.naturalWidth + '×' + im.naturalHeight + ' px, shown ×' + k + ')';
              z.classList.add('open');
            });
          });
          z.addEventListener('click', close);
          document.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
        })();
        </script>
        </body></html>

        """
    }

    /// Writes the page atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try Data(html().utf8).write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
