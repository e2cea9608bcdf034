// The shapes of the JSON the server sends (see docs/playground.md, "The protocol").

export type Value = string | number | boolean | string[] | number[];

export interface Config {
  dataset: string;
  noise: number;
  train_share: number;
  n_samples: number;
  data_seed: number;
  features: string[];
  layers: number[];
  activations: string[];
  problem: "classification" | "regression";
  loss: string;
  optimizer: string;
  lr: number;
  momentum: number;
  schedule: string;
  regularization: string;
  reg_rate: number;
  dropout: number;
  batch_size: number;
  seed: number;
  show_test: boolean;
  discretize: boolean;
  n_classes: number;
  [key: string]: Value;
}

export interface DatasetChoice {
  name: string;
  problem?: string | null;
  label?: string;
}

export interface Choices {
  datasets: DatasetChoice[];
  features: { name: string; label: string }[];
  activations: string[];
  losses: { classification: string[]; regression: string[]; classification_multiclass?: string[] };
  optimizers: string[];
  schedules: string[];
  regularizations: string[];
  limits: { layers: number; neurons: number; n_classes?: [number, number]; [key: string]: number | number[] | undefined };
}

export interface PointSet {
  x: string;
  y: string;
  label: string;
}

export interface Diagnostic {
  layer: number | null;
  neuron: number | null;
  kind: string;
  message: string;
  fix: string;
}

export interface Frame {
  step: number;
  epoch: number;
  playing: boolean;
  seed: number;
  /** The learning rate the next step uses (the schedule's). */
  lr?: number;
  loss: { train: number | null; test: number | null };
  history: [number, number, number | null][];
  grid: { size: number; domain: [number, number] };
  output: { kind: "binary" | "classes" | "regression"; values: string; classes: string | null; range: [number, number] };
  features: string[];
  neurons: string[][];
  weights: number[][][];
  biases: number[][];
  gradients?: number[][][];
  diagnostics: Diagnostic[];
  points?: { train: PointSet; test: PointSet };
  data_version?: number;
  /** An upload's class labels, by class index (null: the classes are 0, 1, ...). */
  classes?: (string | number)[] | null;
}

export interface ExplainSection {
  title: string;
  latex: string[];
  text: string[];
}

export interface Explanation {
  title: string;
  sample: { index: number; x: number[]; y: number | number[] };
  sections: ExplainSection[];
}

export type Target =
  | { kind: "neuron"; layer: number; index: number }
  | { kind: "link"; layer: number; row: number; col: number };

/** Points decoded from a frame's B64f arrays. */
export interface Points {
  x: Float32Array;
  y: Float32Array;
  label: Float32Array;
}
