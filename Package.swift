// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Every Swift target is built in Swift 6 mode with the upcoming features STYLE.md asks for.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "MedSR",
    products: [
        .executable(name: "medsr", targets: ["medsr"]),
        .library(name: "MedImage", targets: ["MedImage"]),
        .library(name: "MedIO", targets: ["MedIO"]),
        .library(name: "MedDataset", targets: ["MedDataset"]),
        .library(name: "Zarr", targets: ["Zarr"]),
        .library(name: "MedMetrics", targets: ["MedMetrics"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C and C++ shims: the only code that touches C memory rules.
        // DCMTK ships no usable pkg-config file on Debian (its dcmtk.pc requires sndfile), so its
        // libraries are named here; OpenJPEG comes through pkg-config.
        .target(
            name: "CDCMTK",
            dependencies: ["COpenJPEG"],
            linkerSettings: [
                .linkedLibrary("dcmjpls"), .linkedLibrary("dcmjpeg"), .linkedLibrary("dcmimage"),
                .linkedLibrary("dcmimgle"), .linkedLibrary("dcmdata"), .linkedLibrary("oflog"),
                .linkedLibrary("ofstd"), .linkedLibrary("z"),
            ]
        ),
        .target(name: "CMatio", dependencies: ["CHDF5"], linkerSettings: [.linkedLibrary("matio")]),
        .target(name: "CPNG", dependencies: ["CLibPNG"]),
        .target(name: "CTIFF", dependencies: ["CLibTIFF"]),
        .target(name: "CJPEG", dependencies: ["CLibTurboJPEG"]),
        .target(name: "CBMP", dependencies: ["CLibSTB"]),
        // nifticlib (Debian libnifti2-dev: NIfTI-1 and NIfTI-2) ships no .pc file; shim/ forwards
        // its bare <znzlib.h> include to Debian's /usr/include/nifti.
        .target(name: "CNIfTI", cSettings: [.headerSearchPath("shim")],
                linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]),
        .target(name: "CMalloc"),
        // -O3 in every configuration: the tests run debug builds, and these kernels at -O0 would
        // take minutes. (The one unsafe flag left: it keeps a remote package from depending on
        // MedSR's library products; a local path dependency works.)
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // The C libraries from Debian, found through their pkg-config files (include and library
        // paths of Debian's layout are not written here).
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CLibTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CLibTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CLibSTB", pkgConfig: "stb", providers: [.apt(["libstb-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // Swift libraries, one room each (ARCHITECTURE.md).
        // MedKernels: the only Swift importer of CKernels; parallelFor and the worker pool.
        .target(name: "MedKernels", dependencies: ["CKernels"], swiftSettings: swiftSettings),
        .target(name: "MedImage", dependencies: ["MedKernels"], swiftSettings: swiftSettings),
        .target(name: "MedIO",
                dependencies: ["MedImage", "CDCMTK", "CMatio", "CPNG", "CTIFF", "CJPEG", "CBMP", "CNIfTI", "MedKernels",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        .target(name: "Zarr", dependencies: ["CZstd"], swiftSettings: swiftSettings),
        .target(name: "MedDataset", dependencies: ["MedImage", "MedIO", "Zarr", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        .target(name: "MedMetrics", dependencies: ["MedImage", "MedKernels"], swiftSettings: swiftSettings),
        .target(name: "MedRegistration", dependencies: ["MedImage", "MedIO", "MedDataset", "MedKernels"], swiftSettings: swiftSettings),
        .target(name: "MedNN", dependencies: ["MedImage", "MedKernels", "CBLAS"], swiftSettings: swiftSettings),
        .target(name: "MedTraining", dependencies: ["MedNN", "MedDataset", "MedMetrics", "MedReport", "MedImage", "MedIO", "Zarr"],
                swiftSettings: swiftSettings),
        .target(name: "MedReport", dependencies: ["MedImage", "MedMetrics"], swiftSettings: swiftSettings),
        .target(name: "MedEvaluation", dependencies: ["MedImage", "MedKernels", "MedIO", "MedDataset", "MedMetrics", "MedReport", "MedNN", "Zarr"],
                swiftSettings: swiftSettings),
        // Inference workflows (upscale, restore) shared by the CLI and the web workbench.
        .target(name: "MedInference", dependencies: ["MedImage", "MedIO", "MedDataset", "MedNN"], swiftSettings: swiftSettings),
        // The local web workbench (`medsr serve`): HTTP routes over the libraries above, no logic of its own.
        .target(name: "MedServe",
                dependencies: ["MedImage", "MedIO", "MedDataset", "MedMetrics", "MedEvaluation", "MedNN", "Zarr",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                resources: [.copy("Web")],
                swiftSettings: swiftSettings),
        .executableTarget(
            name: "medsr",
            dependencies: [
                "MedImage", "MedIO", "MedDataset", "MedMetrics", "MedReport", "MedEvaluation", "MedNN", "MedTraining", "MedInference", "MedRegistration", "MedServe", "Zarr", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Benchmark driver (Tools/bench): times our readers in-process.
        .executableTarget(name: "medsr-bench", dependencies: ["MedIO", "MedImage", "MedMetrics", "MedNN", "MedRegistration", "CMalloc", "MedKernels"], swiftSettings: swiftSettings),

        // Tests.
        .target(name: "TestSupport", dependencies: ["MedImage", "MedKernels"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "MedKernelsTests", dependencies: ["MedKernels"], swiftSettings: swiftSettings),
        .testTarget(name: "MedImageTests", dependencies: ["MedImage", "MedIO", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedMetricsTests", dependencies: ["MedMetrics", "MedIO", "MedImage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedEvaluationTests", dependencies: ["MedEvaluation", "MedMetrics", "MedReport", "Zarr", "MedIO", "MedImage"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedNNTests", dependencies: ["MedNN", "MedMetrics", "MedIO", "MedImage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedTrainingTests", dependencies: ["MedTraining", "MedDataset", "MedNN", "MedEvaluation", "MedMetrics", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedRegistrationTests", dependencies: ["MedRegistration", "MedIO", "MedImage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedServeTests", dependencies: ["MedServe", "MedDataset", "MedEvaluation", "MedMetrics", "MedNN", "MedIO", "MedImage", "Zarr", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ZarrTests", dependencies: ["Zarr", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MedDatasetTests", dependencies: ["MedDataset", "MedIO", "MedImage", "Zarr", "TestSupport", "MedKernels"],
                    swiftSettings: swiftSettings),
        .target(name: "ReaderPoolJobs", dependencies: ["CMatio"], path: "Tests/ReaderPoolJobs"),
        .testTarget(name: "MedIOTests", dependencies: ["MedIO", "MedImage", "MedDataset", "TestSupport", "CBLAS", "CMatio", "ReaderPoolJobs"],
                    swiftSettings: swiftSettings),
    ],
    cxxLanguageStandard: .cxx17
)

