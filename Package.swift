// swift-tools-version: 6.2
import PackageDescription

/// Every target of ours treats warnings as errors: a warning is a defect.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

// infra builds on Linux: its process handling (posix_spawn in a session of its own, pipes
// that never raise SIGPIPE) uses glibc. No other platform is declared because none is built
// or tested.
let package = Package(
  name: "infra",
  products: [
    .executable(name: "infra", targets: ["infra"]),
    // The library a Swift program embeds to load a repository and run plans and applies with
    // the connectors and transports built into infra.
    .library(name: "InfraKit", targets: ["InfraKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    // `swift package generate-documentation`: the test command builds InfraKit's docs.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    // Property-based tests: generated names and contents through plan and apply.
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    // Templates of the files connector (`.mustache` resource files).
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
  ],
  targets: [
    .target(
      name: "InfraCore",
      dependencies: [
        .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: strict),
    .target(
      name: "InfraTransport",
      dependencies: ["InfraCore", .product(name: "Logging", package: "swift-log")],
      swiftSettings: strict),
    .target(
      name: "InfraEngine",
      dependencies: [
        .product(name: "Crypto", package: "swift-crypto"),
        "InfraCore", "InfraTransport",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),
    .target(
      name: "InfraConnectors",
      dependencies: [
        "InfraCore", "InfraTransport", "InfraEngine",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Mustache", package: "swift-mustache"),
      ],
      swiftSettings: strict),
    .target(
      name: "InfraKit",
      dependencies: ["InfraCore", "InfraTransport", "InfraEngine", "InfraConnectors"],
      swiftSettings: strict),
    .target(
      name: "InfraCLI",
      dependencies: [
        "InfraCore", "InfraTransport", "InfraEngine", "InfraConnectors", "InfraKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),
    .executableTarget(
      name: "infra",
      dependencies: ["InfraCLI", .product(name: "Logging", package: "swift-log")],
      swiftSettings: strict),

    // A program that embeds InfraKit and plans a repository: built and run by the tests.
    .executableTarget(
      name: "EmbeddedPlan", dependencies: ["InfraKit"], path: "Examples/EmbeddedPlan",
      swiftSettings: strict),

    // Fuzzing (scripts/fuzz): the readers of untrusted bytes each target drives, the runner
    // libFuzzer links with, and the suite's replay of every input kept.
    .target(
      name: "InfraFuzzTargets",
      dependencies: ["InfraCore", "InfraTransport", "InfraEngine", "InfraConnectors"],
      path: "Fuzz/Targets", swiftSettings: strict),
    .executableTarget(
      name: "infra-fuzz", dependencies: ["InfraFuzzTargets"], path: "Fuzz/Runner",
      swiftSettings: strict),

    // Test helpers shared by the test targets: temporary repositories and recording fakes.
    .target(
      name: "InfraTestSupport",
      dependencies: ["InfraCore", "InfraTransport", "InfraEngine"],
      path: "Tests/InfraTestSupport",
      swiftSettings: strict),
    .testTarget(
      name: "InfraCoreTests", dependencies: ["InfraCore", "InfraTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InfraTransportTests",
      dependencies: ["InfraCore", "InfraTransport", "InfraTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InfraEngineTests",
      dependencies: ["InfraCore", "InfraTransport", "InfraEngine", "InfraTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InfraConnectorsTests",
      dependencies: [
        "InfraCore", "InfraTransport", "InfraEngine", "InfraConnectors", "InfraTestSupport",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "InfraCLITests",
      dependencies: [
        "InfraCore", "InfraTransport", "InfraEngine", "InfraConnectors", "InfraCLI",
        "InfraTestSupport",
      ],
      exclude: ["Fixtures", "Renderings"],
      swiftSettings: strict),
    // Every input the fuzzer was seeded with or ever crashed on, read again in every run.
    .testTarget(
      name: "FuzzRegressionTests", dependencies: ["InfraFuzzTargets"], swiftSettings: strict),
    // Runs the built `infra` binary against real temporary repositories and folders.
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "infra", "EmbeddedPlan", "InfraCore", "InfraTransport", "InfraTestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      swiftSettings: strict),
  ]
)
