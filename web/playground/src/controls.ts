// The top bar (play/pause, step, reset, epoch, learning rate, activation, regularization, rate,
// problem type, loss, optimizer, schedule, dropout, seed, export) and the data column (data sets,
// classes, upload, points by clicking, train share, noise, batch size, regenerate).

import { apiUrl } from "./api";
import { classColor, css } from "./colors";
import { h, icon, ICONS, select } from "./dom";
import { className } from "./output";
import { drawThumbnail, hasSketch } from "./thumbnails";
import { configure, send, sendCsv, showError, store } from "./store";
import type { Config, DatasetChoice } from "./types";

const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const MOMENTA = [0, 0.5, 0.9, 0.95, 0.99];
const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5];
const WITH_MOMENTUM = new Set(["sgd", "rmsprop"]); // the optimizers whose constructor takes a momentum

function numbers(values: number[], current: number): [string, string][] {
  const all = values.includes(current) ? values : [...values, current].sort((a, b) => a - b);
  return all.map((v) => [String(v), String(v)]);
}

function field(label: string, control: HTMLElement, extra = ""): HTMLElement {
  return h("div", { class: `field ${extra}` }, h("label", {}, label), control);
}

function datasets(): DatasetChoice[] {
  return store.choices.datasets;
}

const SHORT: Record<string, string> = { xor: "XOR", gauss: "Gaussian", multigauss: "Multi Gauss", blobs3: "Blobs", custom: "Your data" };

function label(d: DatasetChoice): string {
  return SHORT[d.name] ?? d.label ?? d.name;
}

export class TopBar {
  readonly root = h("header", { class: "topbar" });
  private readonly play = h("button", { class: "play", id: "play", title: "Run/Pause", "aria-label": "play" });
  private readonly epoch = h("span", { class: "epoch", id: "epoch" }, "000,000");
  private readonly seed = h("span", { class: "seed", id: "seed" });
  private readonly lrNow = h("span", { class: "lr-now", id: "lr-now", title: "The learning rate the schedule gives the next epoch" });
  private readonly settings = h("div", { class: "settings" });
  private readonly more = h("div", { class: "settings more" });

  constructor() {
    this.play.addEventListener("click", () => void send(store.frame?.playing ? "pause" : "play"));
    const run = h("div", { class: "run" },
      h("button", { class: "icon", id: "reset", title: "Reset the network (the same initial weights)", "aria-label": "reset",
        onclick: () => void send("reset") }, icon(ICONS.reset)),
      this.play,
      h("button", { class: "icon", id: "step", title: "Train one epoch", "aria-label": "step",
        onclick: () => void send("step") }, icon(ICONS.step)));
    this.root.append(
      h("div", { class: "brand" }, h("span", { class: "logo" }, "glassnet"), " playground",
        h("span", { class: "tagline" }, "a neural network you can see into, trained by glassnet's engine")),
      h("div", { class: "bar" }, run, field("Epoch", this.epoch, "epoch-field"), this.settings),
      this.more);
  }

  renderConfig(): void {
    const { config, choices } = store;
    const activation = config.activations.every((a) => a === config.activations[0]) ? config.activations[0] ?? "" : "";
    const activationOptions: [string, string][] = choices.activations.map((a) => [a, a]);
    if (activation === "") activationOptions.unshift(["", "(per layer)"]);
    this.settings.replaceChildren(
      field("Learning rate", select(numbers(LEARNING_RATES, config.lr), String(config.lr),
        (v) => void configure({ lr: Number(v) }), { id: "lr" })),
      field("Activation", select(activationOptions, activation,
        (v) => v && void configure({ activations: config.activations.map(() => v) }), { id: "activation" })),
      field("Regularization", select(choices.regularizations.map((r) => [r, r === "none" ? "None" : r.toUpperCase()]),
        config.regularization, (v) => void configure({ regularization: v }), { id: "regularization" })),
      field("Regularization rate", select(numbers(REG_RATES, config.reg_rate), String(config.reg_rate),
        (v) => void configure({ reg_rate: Number(v) }), { id: "reg-rate" })),
      field("Problem type", select([["classification", "Classification"], ["regression", "Regression"]], config.problem,
        (v) => void this.changeProblem(v as Config["problem"]), { id: "problem" })));
    const multiclass = config.problem === "classification" && config.n_classes > 2;
    const losses = (multiclass ? choices.losses.classification_multiclass : undefined) ?? choices.losses[config.problem] ?? [];
    const lossSelect = select(losses.map((l) => [l, l]), config.loss, (v) => void configure({ loss: v }), { id: "loss" });
    this.more.replaceChildren(
      field("Loss", lossSelect),
      field("Optimizer", select(choices.optimizers.map((o) => [o, o]), config.optimizer,
        (v) => void configure(WITH_MOMENTUM.has(v) ? { optimizer: v } : { optimizer: v, momentum: 0 }), { id: "optimizer" })),
      WITH_MOMENTUM.has(config.optimizer) ? field("Momentum", select(numbers(MOMENTA, config.momentum), String(config.momentum),
        (v) => void configure({ momentum: Number(v) }), { id: "momentum" })) : "",
      field("Schedule", h("div", { class: "schedule-box" }, select(choices.schedules.map((o) => [o, o]), config.schedule,
        (v) => void configure({ schedule: v }), { id: "schedule" }), this.lrNow)),
      field("Dropout", select(numbers(DROPOUTS, config.dropout), String(config.dropout),
        (v) => void configure({ dropout: Number(v) }), { id: "dropout" })),
      field("Seed", h("div", { class: "seed-box" }, this.seed,
        h("button", { class: "small", id: "reseed", title: "New initial weights (a new seed)", onclick: () => void send("reseed") },
          icon(ICONS.dice, 16), " new seed"))),
      h("a", { class: "button export", id: "export", href: apiUrl("export"), download: "glassnet-playground.zip",
        title: "Download train.py, train_torch.py, the data, the weights and the report" }, icon(ICONS.download, 18), " Export"));
    this.seed.textContent = String(config.seed);
  }

  renderFrame(): void {
    const frame = store.frame;
    if (!frame) return;
    const digits = String(frame.epoch).padStart(6, "0");
    this.epoch.textContent = `${digits.slice(0, -3)},${digits.slice(-3)}`;
    this.play.classList.toggle("playing", frame.playing);
    this.play.setAttribute("aria-label", frame.playing ? "pause" : "play");
    this.play.replaceChildren(icon(frame.playing ? ICONS.pause : ICONS.play, 34));
    this.seed.textContent = String(frame.seed);
    const scheduled = store.config.schedule !== "none" && frame.lr !== undefined;
    this.lrNow.textContent = scheduled ? `η = ${Number((frame.lr as number).toPrecision(3))}` : "";
  }

  private changeProblem(problem: Config["problem"]): Promise<unknown> {
    // the server picks that problem's first data set and a loss that fits
    return configure({ problem });
  }
}

export class DataColumn {
  readonly root = h("section", { class: "data" });
  private readonly file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", id: "upload", class: "hidden-file" });

  constructor() {
    this.file.addEventListener("change", () => void this.upload(this.file.files?.[0]));
    // a CSV file dropped anywhere on the page is uploaded as well
    document.addEventListener("dragover", (event) => event.preventDefault());
    document.addEventListener("drop", (event) => {
      event.preventDefault();
      void this.upload(event.dataTransfer?.files?.[0]);
    });
  }

  render(): void {
    const { config, choices } = store;
    const all = datasets();
    const sets = all.filter((d) => d.name !== "custom" && (!d.problem || d.problem === config.problem));
    const thumbs = h("div", { class: "thumbnails" });
    for (const d of [...sets, all.find((c) => c.name === "custom") ?? { name: "custom" }]) {
      const canvas = h("canvas", { width: 96, height: 96 });
      if (hasSketch(d.name)) drawThumbnail(canvas, d.name);
      thumbs.append(h("button", { class: `thumbnail${config.dataset === d.name ? " selected" : ""}`, "data-dataset": d.name,
        title: d.name === "custom" ? "Your data: upload a CSV or click on the output to add points" : d.label ?? d.name,
        onclick: () => d.name !== config.dataset && void this.pickDataset(d) }, canvas, h("span", {}, label(d))));
    }
    const classification = config.problem === "classification";
    const manyClasses = classification && (config.dataset === "blobs3" || config.dataset === "custom");
    const maxClasses = choices.limits.n_classes?.[1] ?? 6;
    const classOptions: [string, string][] = Array.from({ length: maxClasses - 1 }, (_, i) => [String(i + 2), String(i + 2)]);
    this.root.replaceChildren(
      h("h4", {}, "Data"),
      h("p", { class: "hint" }, "Which dataset do you want to use?"),
      thumbs,
      manyClasses ? field("Classes", select(classOptions, String(config.n_classes),
        (v) => void configure({ n_classes: Number(v) }), { id: "classes" }), "inline") : "",
      h("div", { class: "your-data" },
        h("label", { class: "button", for: "upload",
          title: "Two feature columns and a label column; a header row is optional (or drop the file on the page)" },
          icon(ICONS.upload, 16), " Upload CSV"), this.file,
        config.dataset === "custom" ? h("button", { class: "small", id: "clear-points", onclick: () => void send("clear_points") },
          "clear") : ""),
      this.pointPicker(),
      this.slider("train-share", "Ratio of training to test data", config.train_share, 10, 90, 10, "%", (v) =>
        void configure({ train_share: v })),
      this.slider("noise", "Noise", config.noise, 0, 50, 5, "", (v) => void configure({ noise: v })),
      this.slider("batch-size", "Batch size", config.batch_size, 1, Math.max(30, config.batch_size), 1, "", (v) =>
        void configure({ batch_size: v })),
      h("button", { class: "button", id: "regenerate", title: "New data from a new data seed",
        onclick: () => void send("regenerate") }, icon(ICONS.refresh, 16), " Regenerate"));
  }

  private pointPicker(): HTMLElement {
    const { config } = store;
    if (config.problem === "regression") {
      const input = h("input", { type: "number", step: "any", value: store.addValue, id: "add-value", "aria-label": "value" });
      input.addEventListener("change", () => (store.addValue = Number(input.value) || 0));
      return h("div", { class: "picker" }, h("span", {}, "Click the output to add a point of value "), input);
    }
    const n = Math.max(2, config.n_classes);
    store.addLabel = Math.min(store.addLabel, n - 1);
    const swatches = Array.from({ length: n }, (_, k) => h("button", {
      class: `swatch${store.addLabel === k ? " selected" : ""}`, style: `background:${css(classColor(k))}`,
      title: className(k), "aria-label": className(k), "data-class": k,
      onclick: (event: Event) => {
        store.addLabel = k;
        (event.currentTarget as HTMLElement).parentElement?.querySelectorAll(".swatch").forEach((e, i) =>
          e.classList.toggle("selected", i === k));
      } }));
    return h("div", { class: "picker" }, h("span", {}, "Click the output to add a point of class"), ...swatches);
  }

  private slider(id: string, text: string, value: number, min: number, max: number, step: number, unit: string,
                 onChange: (value: number) => void): HTMLElement {
    const shown = h("b", {}, `${value}${unit}`);
    const input = h("input", { type: "range", id, min, max, step, value });
    input.addEventListener("input", () => (shown.textContent = `${input.value}${unit}`));
    input.addEventListener("change", () => onChange(Number(input.value)));
    return h("div", { class: "slider" }, h("label", { for: id }, `${text}: `, shown), input);
  }

  private pickDataset(d: DatasetChoice): Promise<unknown> {
    // the server keeps the rest consistent: the set's problem and class count, a loss that fits
    return configure({ dataset: d.name });
  }

  private async upload(file: File | undefined): Promise<void> {
    this.file.value = "";
    if (!file) return;
    if (file.size > 1 << 20) {
      showError(`${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MiB; the playground takes CSV files up to 1 MiB`);
      return;
    }
    await sendCsv(await file.text());
  }
}
