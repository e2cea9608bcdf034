// The output column: test and training loss, the loss chart, the big heatmap of the network's
// output with the train (and optionally test) points, its colour legend, and clicks that add points.

import { type RGB, classColor, css, diverging } from "./colors";
import { h, s } from "./dom";
import { drawOutput } from "./heatmap";
import { configure, send, store } from "./store";
import type { Points } from "./types";

const SIZE = 300; // px, the big heatmap

function lossText(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(3);
}

export class OutputView {
  readonly root = h("section", { class: "output" });
  private readonly testLoss = h("span", { class: "value", id: "loss-test" });
  private readonly trainLoss = h("span", { class: "value", id: "loss-train" });
  private readonly chart = s("svg", { class: "chart", viewBox: "0 0 300 64", preserveAspectRatio: "none" });
  private readonly trainLine = s("polyline", { class: "train" });
  private readonly testLine = s("polyline", { class: "test" });
  private readonly heatmap = h("canvas", { class: "heatmap big", id: "output-heatmap" });
  private readonly dots = h("canvas", { class: "dots", id: "output-points" });
  private readonly ticks = s("svg", { class: "ticks" });
  private readonly legend = h("div", { class: "legend" });
  private readonly showTest = h("input", { type: "checkbox", id: "show-test" });
  private readonly discretize = h("input", { type: "checkbox", id: "discretize" });
  private readonly diagnostics = h("div", { class: "diagnostics", id: "diagnostics" });

  constructor() {
    this.chart.append(this.testLine, this.trainLine);
    const plot = h("div", { class: "plot", title: "Click to add a point of the chosen class" }, this.heatmap, this.dots, this.ticks);
    plot.addEventListener("click", (event) => this.addPoint(event));
    this.showTest.addEventListener("change", () => void configure({ show_test: this.showTest.checked }));
    this.discretize.addEventListener("change", () => void configure({ discretize: this.discretize.checked }));
    this.root.append(
      h("h4", {}, "Output"),
      h("div", { class: "losses" },
        h("div", { class: "loss test" }, "Test loss ", this.testLoss),
        h("div", { class: "loss train" }, "Training loss ", this.trainLoss)),
      this.chart,
      h("div", { class: "chart-legend" }, h("span", { class: "key train" }, "training"), h("span", { class: "key test" }, "test")),
      plot,
      this.legend,
      h("div", { class: "checks" },
        h("label", {}, this.showTest, " Show test data"),
        h("label", {}, this.discretize, " Discretize output")),
      this.diagnostics);
    this.drawTicks();
  }

  render(): void {
    const { frame, config } = store;
    if (!frame) return;
    this.showTest.checked = config.show_test;
    this.discretize.checked = config.discretize;
    for (const [element, value] of [[this.trainLoss, frame.loss.train], [this.testLoss, frame.loss.test]] as const) {
      element.textContent = lossText(value);
      element.dataset.value = value === null || value === undefined ? "" : String(value);
      element.title = value === null || value === undefined ? "" : String(value);
    }
    this.drawChart(frame.history);
    drawOutput(this.heatmap, frame.output, config.discretize, config.n_classes);
    this.drawPoints();
    this.drawLegend();
    this.listDiagnostics();
  }

  /** glassnet's training diagnostics, each with its reason and its fix (badges mark the layers too). */
  private listDiagnostics(): void {
    const diagnostics = store.frame?.diagnostics ?? [];
    const key = JSON.stringify(diagnostics.map((d) => [d.layer, d.neuron, d.kind, d.message]));
    if (this.diagnostics.dataset.key === key) return;
    this.diagnostics.dataset.key = key;
    this.diagnostics.replaceChildren(...(diagnostics.length ? [h("h4", {}, "Diagnostics")] : []),
      ...diagnostics.map((d) => h("div", { class: "diagnostic", "data-kind": d.kind },
        h("span", { class: `badge ${d.kind}` }, "!"),
        h("div", {}, ...(d.neuron === null ? [h("b", {}, d.layer === null ? "network" : `layer ${d.layer}`), ": "] : []),
          d.message,
          h("div", { class: "fix" }, `Fix: ${d.fix}`)))));
  }

  private drawChart(history: [number, number, number | null][]): void {
    const finite = (v: number | null) => v !== null && Number.isFinite(v);
    const values = history.flatMap(([, train, test]) => [train, test]).filter(finite) as number[];
    const top = Math.max(1e-9, ...values);
    const first = history[0]?.[0] ?? 0, span = Math.max(1, (history[history.length - 1]?.[0] ?? 1) - first);
    const line = (k: 1 | 2) => history.filter((row) => finite(row[k]))  // x: the epoch (the server thins long runs)
      .map((row) => `${(((row[0] - first) / span) * 300).toFixed(1)},${(62 - ((row[k] as number) / top) * 58).toFixed(1)}`)
      .join(" ");
    this.trainLine.setAttribute("points", line(1));
    this.testLine.setAttribute("points", line(2));
  }

  private pointColor(label: number): RGB {
    if (store.config.problem === "regression") {
      const [lo, hi] = store.frame?.output.range ?? [-1, 1];
      return diverging(hi > lo ? ((label - lo) / (hi - lo)) * 2 - 1 : 0);
    }
    return classColor(Math.round(label));
  }

  private drawPoints(): void {
    const ratio = window.devicePixelRatio || 1;
    const size = Math.round(SIZE * ratio);
    if (this.dots.width !== size || this.dots.height !== size) {
      this.dots.width = size;
      this.dots.height = size;
    }
    const context = this.dots.getContext("2d");
    const frame = store.frame;
    if (!context || !frame) return;
    context.clearRect(0, 0, size, size);
    const [lo, hi] = frame.grid.domain;
    const draw = (points: Points | null, stroke: string) => {
      if (!points) return;
      for (let i = 0; i < points.x.length; i++) {
        const px = ((points.x[i] - lo) / (hi - lo)) * size, py = ((hi - points.y[i]) / (hi - lo)) * size;
        context.beginPath();
        context.arc(px, py, 3.6 * ratio, 0, 2 * Math.PI);
        context.fillStyle = css(this.pointColor(points.label[i]));
        context.fill();
        context.lineWidth = ratio;
        context.strokeStyle = stroke;
        context.stroke();
      }
    };
    draw(store.train, "#ffffff");
    if (store.config.show_test) draw(store.test, "#1b1f24");
    const k = store.explained;
    if (k !== null && store.train && k < store.train.x.length) {
      context.beginPath();
      context.arc(((store.train.x[k] - lo) / (hi - lo)) * size, ((hi - store.train.y[k]) / (hi - lo)) * size, 8 * ratio, 0,
        2 * Math.PI);
      context.lineWidth = 2.5 * ratio;
      context.strokeStyle = "#1b1f24";
      context.stroke();
    }
  }

  /** Draw the points again (the explained sample changed). */
  redrawPoints(): void {
    this.drawPoints();
  }

  private drawTicks(): void {
    this.ticks.replaceChildren();
    for (const v of [-6, -4, -2, 0, 2, 4, 6]) {
      const t = ((v + 6) / 12) * SIZE;
      const x = s("text", { x: t, y: SIZE + 12, "text-anchor": "middle" });
      x.textContent = String(v);
      const y = s("text", { x: SIZE + 4, y: SIZE - t + 3, "text-anchor": "start" });
      y.textContent = String(v);
      this.ticks.append(x, y);
    }
  }

  private drawLegend(): void {
    const frame = store.frame;
    if (!frame) return;
    const key = JSON.stringify([frame.output.kind, frame.output.range, store.config.n_classes, frame.classes]);
    if (this.legend.dataset.key === key) return;
    this.legend.dataset.key = key;
    if (frame.output.kind === "classes") {
      this.legend.replaceChildren(...Array.from({ length: store.config.n_classes }, (_, k) =>
        h("span", { class: "class" }, h("i", { style: `background:${css(classColor(k))}` }), className(k))));
      return;
    }
    const [lo, hi] = frame.output.kind === "binary" ? [0, 1] : frame.output.range;
    const gradient = `linear-gradient(to right, ${css(diverging(-1))}, ${css(diverging(0))}, ${css(diverging(1))})`;
    this.legend.replaceChildren(h("span", {}, fmtShort(lo)), h("span", { class: "scale", style: `background:${gradient}` }),
      h("span", {}, fmtShort(hi)),
      h("span", { class: "note" }, frame.output.kind === "binary" ? "P(class 1)" : "prediction"));
  }

  private addPoint(event: MouseEvent): void {
    const frame = store.frame;
    if (!frame) return;
    const box = this.heatmap.getBoundingClientRect();
    const [lo, hi] = frame.grid.domain;
    const x1 = lo + ((event.clientX - box.left) / box.width) * (hi - lo);
    const x2 = hi - ((event.clientY - box.top) / box.height) * (hi - lo);
    const label = store.config.problem === "regression" ? store.addValue : store.addLabel;
    void send("add_point", { x1: round(x1), x2: round(x2), label });
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Class k as the data name it: an upload's own label, else its index. */
export function className(k: number): string {
  const label = store.frame?.classes?.[k];
  return label === undefined || label === null ? `class ${k}` : `class ${label}`;
}
const fmtShort = (x: number) => String(Number(x.toPrecision(3)));
