/// MATLAB v4 files: no text header, a sequence of matrices each led by five 32-bit integers
/// (type, rows, columns, imaginary flag, name length) in the writer's byte order. matio reads
/// them; this only recognises one by content.
enum MATv4 {
    /// The first matrix header is plausible: type MOPT with M 0 (little-endian IEEE) or 1 (big-endian
    /// IEEE), O 0, P 0…5 (double … uint8), T 0…2 (numeric, text, sparse); non-negative sizes;
    /// imaginary flag 0 or 1; a name of 2…64 bytes (NUL included) that is an identifier.
    static func isHeader(_ head: [UInt8]) -> Bool {
        guard head.count >= 21 else { return false }
        for bigEndian in [false, true] {
            func int32(_ i: Int) -> Int {
                let b = head[(i * 4) ..< (i * 4 + 4)].map { UInt32($0) }
                let v = bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
                return Int(Int32(bitPattern: v))
            }
            let type = int32(0), rows = int32(1), columns = int32(2), imaginary = int32(3), nameLength = int32(4)
            let m = type / 1000, o = type / 100 % 10, p = type / 10 % 10, t = type % 10
            guard type >= 0, m == (bigEndian ? 1 : 0), o == 0, p <= 5, t <= 2, rows >= 0, columns >= 0,
                  imaginary == 0 || imaginary == 1, (2 ... 64).contains(nameLength) else { continue }
            let name = head.dropFirst(20).prefix(nameLength - 1)
            guard let first = name.first, (0x41 ... 0x5A).contains(first) || (0x61 ... 0x7A).contains(first),
                  name.allSatisfy({ $0 == 0x5F || (0x30 ... 0x39).contains($0) || (0x41 ... 0x5A).contains($0) || (0x61 ... 0x7A).contains($0) })
            else { continue }
            if head.count >= 20 + nameLength, head[20 + nameLength - 1] != 0 { continue }
            return true
        }
        return false
    }
}
