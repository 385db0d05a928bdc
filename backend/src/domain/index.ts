// FedLedger's domain: run configuration, rounds, contributions, nodes, events, errors and the
// catalogues. It imports nothing from api/, store/ or chain/; they (and the dashboard) depend on it.
export * from "./alert.js";
export * from "./catalogues.js";
export * from "./compression.js";
export * from "./contribution.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./node.js";
export * from "./presets.js";
export * from "./primitives.js";
export * from "./round.js";
export * from "./run-config.js";
export * from "./own-data.js";
export * from "./run-model.js";
export * from "./run-file.js";
export * from "./run-lifecycle.js";
export * from "./run.js";
export * from "./run-export.js";
export * from "./saved-preset.js";
export * from "./run-compare.js";
