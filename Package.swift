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
    ],
    targets: [
        // C and C++ shims: the only code that touches C memory rules.
        .target(
            name: "CDCMTK",
            cxxSettings: [.unsafeFlags(["-I/usr/include/openjpeg-2.5"])],
            linkerSettings: [
                .linkedLibrary("dcmjpls"), .linkedLibrary("dcmjpeg"), .linkedLibrary("dcmimage"),
                .linkedLibrary("dcmimgle"), .linkedLibrary("dcmdata"), .linkedLibrary("oflog"),
                .linkedLibrary("ofstd"), .linkedLibrary("openjp2"), .linkedLibrary("z"),
            ]
        ),
        .target(
            name: "CMatio",
            cSettings: [.unsafeFlags(["-I/usr/include/hdf5/serial"])],
            linkerSettings: [
                .unsafeFlags(["-L/usr/lib/x86_64-linux-gnu/hdf5/serial"]),
                .linkedLibrary("matio"), .linkedLibrary("hdf5"),
            ]
        ),
        .target(name: "CPNG", cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
                linkerSettings: [.linkedLibrary("png16")]),
        .target(name: "CTIFF", linkerSettings: [.linkedLibrary("tiff")]),
        // nifticlib (Debian libnifti2-dev: NIfTI-1 and NIfTI-2) ships no .pc file; shim/ forwards
        // its bare <znzlib.h> include to Debian's /usr/include/nifti.
        .target(name: "CNIfTI", cSettings: [.headerSearchPath("shim")],
                linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]),
        .target(name: "CMalloc"),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

        // Swift libraries, one room each (ARCHITECTURE.md).
        .target(name: "MedImage", dependencies: ["CKernels"], swiftSettings: swiftSettings),
        .target(name: "MedIO",
                dependencies: ["MedImage", "CDCMTK", "CMatio", "CPNG", "CTIFF", "CNIfTI", "CKernels"],
                swiftSettings: swiftSettings),
        .target(name: "Zarr", dependencies: ["CZstd"], swiftSettings: swiftSettings),
        .target(name: "MedDataset", dependencies: ["MedImage", "MedIO", "Zarr"], swiftSettings: swiftSettings),
        .target(name: "MedMetrics", dependencies: ["MedImage", "CKernels"], swiftSettings: swiftSettings),
        .target(name: "MedRegistration", dependencies: ["MedImage"], swiftSettings: swiftSettings),
        .target(name: "MedNN", dependencies: ["MedImage", "CBLAS", "CKernels"], swiftSettings: swiftSettings),
        .target(name: "MedTraining", dependencies: ["MedNN", "MedDataset", "MedMetrics", "MedReport", "MedImage", "Zarr"],
                swiftSettings: swiftSettings),
        .target(name: "MedReport", dependencies: ["MedImage", "MedMetrics"], swiftSettings: swiftSettings),
        .target(name: "MedEvaluation", dependencies: ["MedImage", "MedIO", "MedDataset", "MedMetrics", "MedReport", "MedNN", "Zarr"],
                swiftSettings: swiftSettings),
        .executableTarget(
            name: "medsr",
            dependencies: [
                "MedImage", "MedIO", "MedDataset", "MedMetrics", "MedReport", "MedEvaluation", "MedNN", "MedTraining", "MedRegistration", "Zarr", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Benchmark driver (Tools/bench): times our readers in-process.
        .executableTarget(name: "medsr-bench", dependencies: ["MedIO", "MedImage", "MedMetrics", "MedNN", "MedRegistration", "CMalloc", "CKernels"], swiftSettings: swiftSettings),

        // Tests.
        .target(name: "TestSupport", dependencies: ["MedImage", "CKernels"], path: "Tests/TestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "MedImageTests", dependencies: ["MedImage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedMetricsTests", dependencies: ["MedMetrics", "MedIO", "MedImage", "TestSupport", "CKernels"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedEvaluationTests", dependencies: ["MedEvaluation", "MedMetrics"], swiftSettings: swiftSettings),
        .testTarget(name: "MedNNTests", dependencies: ["MedNN", "MedMetrics", "MedIO", "MedImage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedTrainingTests", dependencies: ["MedTraining", "MedDataset", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MedRegistrationTests", dependencies: ["MedRegistration", "MedIO", "MedImage", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ZarrTests", dependencies: ["Zarr", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MedDatasetTests", dependencies: ["MedDataset", "MedIO", "MedImage", "Zarr", "TestSupport", "CKernels"],
                    swiftSettings: swiftSettings),
        .target(name: "ReaderPoolJobs", dependencies: ["CMatio"], path: "Tests/ReaderPoolJobs"),
        .testTarget(name: "MedIOTests", dependencies: ["MedIO", "MedImage", "MedDataset", "TestSupport", "CBLAS", "CMatio", "ReaderPoolJobs"],
                    swiftSettings: swiftSettings),
    ],
    cxxLanguageStandard: .cxx17
)

