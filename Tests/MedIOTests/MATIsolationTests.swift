import Foundation
import Synchronization
@testable import MedIO
import MedImage
import Testing
import TestSupport

/// v7.3 files are read by reader processes (Sources/CMatio/msr_reader_pool.c): libhdf5 1.10.8 crashes or
/// allocates without end on some damaged files, and that must cost the file, not the run.
@Suite("MATLAB v7.3 read in a child process")
struct MATIsolationTests {
    /// Found by fuzzing: libhdf5 dereferences NULL walking this file's damaged symbol table
    /// (H5Literate → H5G__stab_iterate → H5HL_protect). Read in this process, it killed it.
    @Test func libhdf5CrashIsAnErrorForThatFileOnly() throws {
        let url = FixturePath.url("mat/hostile/hdf5_stab_crash.mat")
        let error = #expect(throws: MATError.self) { try ImageFiles.read(url) }
        #expect(error?.description.contains("hdf5_stab_crash.mat") == true)
        #expect(error?.description.contains("libhdf5 crashed") == true)
        #expect(throws: MATError.self) { try ImageFiles.describe(url) }
        // This process goes on reading good files.
        #expect(try MATReader.figshareRecord(path: FixturePath.url("mat/figshare/1.mat").path).label == 1)
    }

    /// Found by fuzzing: on this file libhdf5 allocated until the kernel killed it (24 GB on a
    /// 24 GB machine). The reader's address space is capped and its size watched, so it ends
    /// in an error for the file, and this process (the test run) survives.
    @Test func runawayAllocationIsBounded() throws {
        let url = FixturePath.url("mat/hostile/hdf5_runaway_allocation.mat")
        let error = #expect(throws: MATError.self) { try ImageFiles.read(url) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("memory") || text.contains("crashed"), "\(text)")
        #expect(try MATReader.figshareRecord(path: FixturePath.url("mat/figshare/2.mat").path).image.rows > 0)
    }

    /// Readers are pooled and shared by threads: good and crashing files read at once, from
    /// several threads, give every good file its right data and every bad file its error.
    @Test func goodAndCrashingFilesFromManyThreads() throws {
        let good = (1 ... 4).map { FixturePath.url("mat/figshare/\($0).mat").path }
        let expected = try good.map { try MATReader.figshareRecord(path: $0).image.samples }
        let bad = FixturePath.url("mat/hostile/hdf5_stab_crash.mat").path
        let results = Mutex([Int: Bool]())
        DispatchQueue.concurrentPerform(iterations: 48) { i in
            let ok: Bool
            if i % 3 == 2 {
                ok = (try? MATReader.figshareRecord(path: bad)) == nil
            } else {
                let k = i % 4
                ok = (try? MATReader.figshareRecord(path: good[k]).image.samples) == expected[k]
            }
            results.withLock { $0[i] = ok }
        }
        let failed = results.withLock { $0.filter { !$0.value }.keys.sorted() }
        #expect(failed.isEmpty, "reads that went wrong: \(failed)")
    }

    /// Every dataset read on demand by its own child equals the snapshot's copy.
    @Test(arguments: 1 ... 4)
    func onDemandReadsEqualTheSnapshot(_ n: Int) throws {
        let path = FixturePath.url("mat/figshare/\(n).mat").path
        let inline = try MATFile(path: path)
        let lazy = try MATFile(path: path, inlineBytes: 0)
        #expect(inline.isHDF5 && lazy.isHDF5)
        for name in ["cjdata.image", "cjdata.tumorMask", "cjdata.label", "cjdata.PID", "cjdata.tumorBorder"] {
            let a = try inline.read(name, maxBytes: 1 << 24), b = try lazy.read(name, maxBytes: 1 << 24)
            #expect(a.bytes == b.bytes && a.dims == b.dims && a.matClass == b.matClass, "\(name)")
            #expect(!a.bytes.isEmpty)
        }
        #expect(try inline.info("cjdata").fields.sorted() == ["PID", "image", "label", "tumorBorder", "tumorMask"])
    }

    /// A cut v7.3 file: with its HDF5 signature (the child reports it) and without (matio must
    /// not be handed a file whose header claims v7.3: it would run libhdf5 in this process).
    @Test(arguments: [300, 700, 4096, 40000])
    func truncatedFileIsAClearError(_ length: Int) throws {
        let source = try Data(contentsOf: FixturePath.url("mat/figshare/1.mat"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("medsr-cut-\(length)-\(getpid()).mat")
        try source.prefix(length).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: (any Error).self) { try ImageFiles.read(url) }
        #expect("\(error!)".contains(url.lastPathComponent))
        if length < 512 {
            #expect("\(error!)".contains("v7.3"))
        }
    }
}
