import Foundation
@testable import MedDataset
import MedImage
import Testing
import TestSupport

/// Recipes of an installed medsr, and pseudonym keys from pipes.
@Suite struct InstallTests {
    @Test func installedLayoutIsSearched() {
        let folders = Recipe.searchFolders(executable: URL(fileURLWithPath: "/opt/medsr/bin/medsr")).map(\.path)
        #expect(folders.contains("/opt/medsr/share/medsr/Manifests"))
        #expect(folders.contains(FileManager.default.currentDirectoryPath + "/Manifests"))
    }

    @Test func theRunningExecutableIsItsRealPath() throws {
        let exe = try #require(Recipe.executableURL())
        #expect(exe.path == exe.resolvingSymlinksInPath().path)
        #expect(FileManager.default.isExecutableFile(atPath: exe.path))
    }

    @Test func anUnknownNameListsWhereItLooked() {
        let error = #expect(throws: RecipeError.self) { try Recipe.load("no-such-recipe-\(UUID().uuidString.prefix(6))") }
        for folder in Recipe.searchFolders() { #expect(error?.description.contains(folder.path) == true) }
    }

    /// `--key-file <(openssl rand 32)`: a pipe, whose stat() size is 0.
    @Test(arguments: [32, 8])
    func keyFromAPipe(_ count: Int) throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let bytes = [UInt8](repeating: 0xA5, count: count)
        #expect(write(fds[1], bytes, count) == count)
        close(fds[1])
        defer { close(fds[0]) }
        let url = URL(fileURLWithPath: "/dev/fd/\(fds[0])")
        if count >= Pseudonymizer.minimumKeyBytes {
            #expect(try Pseudonymizer.readKey(url) == bytes)
        } else {
            let error = #expect(throws: InputError.self) { try Pseudonymizer.readKey(url) }
            #expect(error?.description.contains("the key holds 8 bytes, fewer than 16") == true)
        }
    }
}
