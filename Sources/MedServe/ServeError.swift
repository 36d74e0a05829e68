import HTTPTypes
import Hummingbird
import Zarr

/// An answer other than 200: its status and one line for the person (never a patient identifier,
/// never the contents of a refused path).
struct ServeError: Error, CustomStringConvertible, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var description: String { message }

    static func notFound(_ what: String) -> ServeError { ServeError(status: .notFound, message: "\(what): not found") }
    static func bad(_ message: String) -> ServeError { ServeError(status: .badRequest, message: message) }
}

/// Responses MedServe sends: JSON (through Zarr's one JSON writer), PNG, files.
enum Reply {
    static let jsonType = "application/json; charset=utf-8"

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        bytes(Array(value.serialized().utf8), type: jsonType, status: status)
    }

    static func error(_ e: ServeError) -> Response {
        json(.object([("error", .string(e.message)), ("status", .int(e.status.code))]), status: e.status)
    }

    static func bytes(_ bytes: [UInt8], type: String, status: HTTPResponse.Status = .ok, extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: type]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func png(_ bytes: [UInt8], download: String? = nil) -> Response {
        var extra: HTTPFields = [:]
        if let download { extra[.contentDisposition] = "attachment; filename=\"\(download)\"" }
        return Self.bytes(bytes, type: "image/png", extra: extra)
    }
}
