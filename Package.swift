// swift-tools-version: 6.2
import PackageDescription

/// Every target of ours treats warnings as errors: a warning is a defect.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
  name: "infra",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "infra", targets: ["infra"]),
    .library(name: "InfraEngine", targets: ["InfraEngine"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
  ],
  targets: [
    .target(
      name: "InfraCore",
      dependencies: [.product(name: "Yams", package: "Yams")],
      swiftSettings: strict),
    .target(
      name: "InfraTransport",
      dependencies: [
        "InfraCore",
        .product(name: "Subprocess", package: "swift-subprocess"),
        .product(name: "SystemPackage", package: "swift-system"),
        .product(name: "Logging", package: "swift-log"),
      ],
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
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),
    .target(
      name: "InfraCLI",
      dependencies: [
        "InfraCore", "InfraTransport", "InfraEngine", "InfraConnectors",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),
    .executableTarget(name: "infra", dependencies: ["InfraCLI"], swiftSettings: strict),

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
      name: "InfraTransportTests", dependencies: ["InfraTransport", "InfraTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InfraEngineTests", dependencies: ["InfraEngine", "InfraTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InfraConnectorsTests",
      dependencies: ["InfraConnectors", "InfraEngine", "InfraTestSupport"],
      swiftSettings: strict),
    .testTarget(
      name: "InfraCLITests",
      dependencies: ["InfraCLI", "InfraConnectors", "InfraEngine", "InfraTestSupport"],
      exclude: ["Fixtures"],
      swiftSettings: strict),
    // Runs the built `infra` binary against real temporary repositories and folders.
    .testTarget(
      name: "EndToEndTests", dependencies: ["infra", "InfraTestSupport"],
      swiftSettings: strict),
  ]
)
