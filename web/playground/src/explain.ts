// The explain panel: glassnet.explain's walkthrough of the current model on one sample, for the
// neuron or link that was clicked, typeset with the KaTeX that ships with glassnet (/katex/).

import { ApiError, explain } from "./api";
import { h, icon, ICONS } from "./dom";
import { biasName, fmt, weightName } from "./network";
import { store } from "./store";
import type { Explanation, Target } from "./types";

interface Katex {
  render(tex: string, element: HTMLElement, options: { throwOnError: boolean; displayMode: boolean }): void;
}
declare global {
  interface Window {
    katex?: Katex;
  }
}

let katexReady: Promise<void> | null = null;

/** Load KaTeX from the server (the files of glassnet/explain/assets): nothing from a CDN. */
function loadKatex(): Promise<void> {
  katexReady ??= new Promise((resolve) => {
    document.head.append(h("link", { rel: "stylesheet", href: "katex/katex.min.css" }));
    const script = h("script", { src: "katex/katex.min.js" });
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => resolve()); // formulas then show as LaTeX source
    document.head.append(script);
  });
  return katexReady;
}

function typeset(tex: string): HTMLElement {
  const element = h("div", { class: "formula" });
  if (window.katex) {
    try {
      window.katex.render(`\\displaystyle ${tex}`, element, { throwOnError: false, displayMode: false });
      return element;
    } catch {
      // fall through to the source
    }
  }
  element.append(h("code", {}, tex));
  return element;
}

export class ExplainPanel {
  readonly root = h("aside", { class: "explain", id: "explain", "aria-hidden": "true" });
  private readonly title = h("h3", {});
  private readonly what = h("div", { class: "what" });
  private readonly sampleInput = h("input", { type: "number", min: 0, value: 0, id: "explain-sample", "aria-label": "sample" });
  private readonly sampleText = h("div", { class: "sample-text" });
  private readonly map = h("canvas", { class: "where", width: 192, height: 192, title: "The sample on the output" });
  private readonly body = h("div", { class: "sections" });
  private target: Target | null = null;
  private shown = "";
  private pending = 0;

  constructor(private readonly onClose: () => void, private readonly onSample: () => void) {
    const close = h("button", { class: "icon close", title: "Close", "aria-label": "close", onclick: () => this.close() },
      icon(ICONS.close, 20));
    const previous = h("button", { class: "small", onclick: () => this.moveSample(-1), "aria-label": "previous sample" }, "‹");
    const next = h("button", { class: "small", onclick: () => this.moveSample(+1), "aria-label": "next sample" }, "›");
    this.sampleInput.addEventListener("change", () => void this.load());
    this.root.append(
      h("div", { class: "explain-head" }, this.title, close),
      this.what,
      h("div", { class: "sample" }, this.map,
        h("div", { class: "chooser" },
          h("div", {}, h("label", { for: "explain-sample" }, "Training sample "), previous, this.sampleInput, next),
          this.sampleText)),
      this.body);
    void loadKatex();
  }

  get isOpen(): boolean {
    return this.root.classList.contains("open");
  }

  open(target: Target): void {
    this.target = target;
    this.root.classList.add("open");
    this.root.setAttribute("aria-hidden", "false");
    this.what.textContent = describe(target);
    void this.load();
  }

  close(): void {
    this.target = null;
    store.explained = null;
    this.onSample();
    this.root.classList.remove("open");
    this.root.setAttribute("aria-hidden", "true");
    this.onClose();
  }

  /** After a step, an edit or a reset (not while playing: the numbers would never hold still). */
  refresh(): void {
    if (this.isOpen && store.frame && !store.frame.playing && moment() !== this.shown) void this.load();
  }

  private moveSample(delta: number): void {
    const count = store.train?.x.length ?? 1;
    this.sampleInput.value = String((Number(this.sampleInput.value) + delta + count) % count);
    void this.load();
  }

  private drawMap(k: number): void {
    drawMapInto(this.map, k);
  }

  private async load(): Promise<void> {
    if (!this.target) return;
    const ticket = ++this.pending;
    const sample = Math.max(0, Math.floor(Number(this.sampleInput.value) || 0));
    this.shown = moment();
    this.root.classList.add("loading");
    if (!this.body.querySelector("section")) this.body.replaceChildren(h("p", { class: "wait" }, "Deriving one training step…"));
    try {
      const [explanation] = await Promise.all([explain(this.target, sample), loadKatex()]);
      if (ticket === this.pending) this.show(explanation);
    } catch (error) {
      if (ticket === this.pending) {
        this.body.replaceChildren(h("p", { class: "error" }, error instanceof ApiError ? error.message : String(error)));
      }
    } finally {
      if (ticket === this.pending) this.root.classList.remove("loading");
    }
  }

  private show(explanation: Explanation): void {
    this.title.textContent = explanation.title;
    const { x, y, index } = explanation.sample;
    this.sampleInput.value = String(index);
    store.explained = index;
    this.onSample();
    this.drawMap(index);
    this.sampleInput.max = String(Math.max(0, (store.train?.x.length ?? 1) - 1));
    this.sampleText.textContent = `x = (${x.map(fmt).join(", ")}), y = ${Array.isArray(y) ? y.map(fmt).join(", ") : fmt(y)}`;
    this.body.replaceChildren(...explanation.sections.map((section) => h("section", {},
      h("h4", {}, section.title),
      ...section.latex.map(typeset),
      ...section.text.map((line) => h("p", {}, line)))));
  }
}

/** Where the sample is: the output heatmap, the training points, and a ring around sample k. */
function drawMapInto(canvas: HTMLCanvasElement, k: number): void {
  const context = canvas.getContext("2d");
  const heatmap = document.getElementById("output-heatmap") as HTMLCanvasElement | null;
  const frame = store.frame, train = store.train;
  if (!context || !heatmap || !frame || !train) return;
  const size = canvas.width, [lo, hi] = frame.grid.domain;
  const at = (x: number, y: number): [number, number] => [((x - lo) / (hi - lo)) * size, ((hi - y) / (hi - lo)) * size];
  context.imageSmoothingEnabled = true;
  context.drawImage(heatmap, 0, 0, size, size);
  context.fillStyle = "rgba(27,31,36,.35)";
  for (let i = 0; i < train.x.length; i++) {
    const [px, py] = at(train.x[i], train.y[i]);
    context.fillRect(px - 1.5, py - 1.5, 3, 3);
  }
  if (k < train.x.length) {
    const [px, py] = at(train.x[k], train.y[k]);
    context.beginPath();
    context.arc(px, py, 9, 0, 2 * Math.PI);
    context.lineWidth = 3;
    context.strokeStyle = "#1b1f24";
    context.stroke();
  }
}

/** What the walkthrough depends on: the step and the parameters (a click may edit one). */
function moment(): string {
  const frame = store.frame;
  return frame ? JSON.stringify([frame.step, frame.weights, frame.biases]) : "";
}

function describe(target: Target): string {
  if (target.kind === "link") {
    return `${weightName(target.layer, target.row, target.col)}: from unit ${target.col + 1} of the layer before to ` +
      `neuron ${target.row + 1} of layer ${target.layer}; its part in z, its gradient and its update, on one sample.`;
  }
  return `Neuron ${target.index + 1} of layer ${target.layer} (bias ${biasName(target.layer, target.index)}): z, a = f(z), ` +
    "δ and the gradients, on one sample.";
}
