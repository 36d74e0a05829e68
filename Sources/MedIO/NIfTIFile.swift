import CNIfTI
public import MedImage

public enum NIfTIDomain: ErrorDomain { public static let name = "NIfTI" }
public typealias NIfTIError = FileError<NIfTIDomain>

/// One open NIfTI header (nifticlib, NIfTI-1 or NIfTI-2, gzip or not, single file or
/// .hdr/.img pair). Reading it allocates nothing for the voxels.
struct NIfTIFile: ~Copyable {
    private let handle: OpaquePointer
    let path: String
    let info: msr_nifti_info

    init(path: String) throws(NIfTIError) {
        var handle: OpaquePointer?
        var info = msr_nifti_info()
        var err = [CChar](repeating: 0, count: 256)
        guard msr_nifti_open(path, &handle, &info, &err, err.count) == 0, let handle else {
            throw NIfTIError(.unreadable, path: path, "cannot read the NIfTI header", underlying: cString(err))
        }
        self.handle = handle
        self.path = path
        self.info = info
    }

    deinit { msr_nifti_close(handle) }

    /// Sizes of the dimensions the header declares (dim[1…dim[0]]).
    var dimensions: [Int] {
        let n = Int(min(max(info.dim.0, 0), 7))
        let all = [info.dim.1, info.dim.2, info.dim.3, info.dim.4, info.dim.5, info.dim.6, info.dim.7]
        return all.prefix(n).map { Int($0) }
    }

    /// (i, j, k) sizes of one 3-D volume; missing axes are 1.
    var grid: (Int, Int, Int) {
        let d = dimensions
        return (d.count > 0 ? max(d[0], 1) : 1, d.count > 1 ? max(d[1], 1) : 1, d.count > 2 ? max(d[2], 1) : 1)
    }

    /// Number of 3-D volumes (the product of dimensions 4 to 7), nil when it overflows.
    var volumes: Int? {
        var n = 1
        for d in dimensions.dropFirst(3) {
            let (m, o) = n.multipliedReportingOverflow(by: max(d, 1))
            if o { return nil }
            n = m
        }
        return n
    }

    /// pixdim[1…3] (voxel sizes in the header's units) and pixdim[4] (time step).
    var pixdim: [Double] { [info.pixdim.1, info.pixdim.2, info.pixdim.3, info.pixdim.4] }

    /// The 4×4 row-major matrices from the header.
    var sform: [Double] { withUnsafeBytes(of: info.sto_xyz) { Array($0.bindMemory(to: Double.self)) } }
    var qform: [Double] { withUnsafeBytes(of: info.qto_xyz) { Array($0.bindMemory(to: Double.self)) } }

    /// Reads whole volumes `first ..< first + count` into `buffer` (host byte order, x fastest).
    func readVolumes(first: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws(NIfTIError) {
        var err = [CChar](repeating: 0, count: 256)
        guard msr_nifti_read_volumes(handle, Int64(first), Int64(count), buffer.baseAddress, buffer.count, &err, err.count) == 0 else {
            throw NIfTIError(.corrupt, path: path, "voxel data cannot be read (truncated or damaged)", underlying: cString(err))
        }
    }
}

/// The direction each voxel axis points to (`R`, `A`, `S`, …: nibabel's axis codes) for a
/// row-major 4×4 affine, through nifticlib's nifti_dmat44_to_orientation.
func orientationCode(_ affine: [Double]) -> String {
    var codes: (Int32, Int32, Int32) = (0, 0, 0)
    affine.withUnsafeBufferPointer { m in
        withUnsafeMutableBytes(of: &codes) { c in
            msr_nifti_orientation(m.baseAddress, c.baseAddress!.assumingMemoryBound(to: Int32.self))
        }
    }
    // NIFTI_L2R = 1 … NIFTI_S2I = 6: the letter is where the axis points to.
    let letters: [Int32: String] = [1: "R", 2: "L", 3: "A", 4: "P", 5: "S", 6: "I"]
    return [codes.0, codes.1, codes.2].map { letters[$0] ?? "?" }.joined()
}
