// The network: the features column, the hidden layers (with +/− for layers and neurons and an
// activation per layer), the output units, and the links between them drawn in one SVG layer
// (colour by the weight's sign, width by |w|). Nodes show their heatmaps; diagnostics show as badges.

import { diverging, css } from "./colors";
import { h, icon, ICONS, s, select } from "./dom";
import { drawGrid } from "./heatmap";
import { hideCard, showCard, withTooltip } from "./overlays";
import { configure, store } from "./store";
import type { Diagnostic, Frame, Target } from "./types";

export type Pick = (target: Target, event: MouseEvent) => void;


interface Link {
  path: SVGPathElement;
  hit: SVGPathElement;
}

function shapes(frame: Frame): number[] {
  // [inputs, hidden..., outputs] read from the weights (W is out × in)
  const weights = frame.weights;
  return weights.length === 0 ? [] : [weights[0][0]?.length ?? 0, ...weights.map((w) => w.length)];
}

export class NetworkView {
  readonly root = h("section", { class: "network" });
  private readonly svg = s("svg", { class: "links" });
  private readonly featuresColumn = h("div", { class: "column features" });
  private readonly layersColumn = h("div", { class: "column hidden-layers" });
  private readonly outputColumn = h("div", { class: "column outputs" });
  private signature = "";
  private diagnosticsKey = "";
  /** nodes[0]: the active inputs (in CONFIG order); nodes[l]: Linear layer l's outputs. */
  private nodes: HTMLElement[][] = [];
  private featureCanvases = new Map<string, HTMLCanvasElement>();
  private links: Link[][][] = [];
  private selected: Target | null = null;

  constructor(private readonly pick: Pick) {
    this.root.append(this.svg, this.featuresColumn, this.layersColumn, this.outputColumn);
    new ResizeObserver(() => this.layoutLinks()).observe(this.root);
  }

  render(): void {
    const frame = store.frame;
    if (!frame) return;
    const signature = JSON.stringify([shapes(frame), store.config.features, store.config.activations,
      store.config.layers, store.choices.features.map((f) => f.name)]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.build(frame);
    }
    this.update(frame);
  }

  select(target: Target | null): void {
    this.selected = target;
    this.root.querySelectorAll(".selected").forEach((e) => e.classList.remove("selected"));
    if (!target) return;
    if (target.kind === "neuron") this.nodes[target.layer]?.[target.index]?.classList.add("selected");
    else this.links[target.layer - 1]?.[target.row]?.[target.col]?.path.classList.add("selected");
  }

  private build(frame: Frame): void {
    const sizes = shapes(frame);
    const { config, choices } = store;
    this.nodes = [];
    this.featureCanvases.clear();
    this.diagnosticsKey = "";

    // inputs: every feature, the active ones linked
    const inputs: HTMLElement[] = [];
    this.featuresColumn.replaceChildren(h("h4", {}, "Features"), h("p", { class: "hint" }, "Which properties do you want to feed in?"));
    for (const feature of choices.features) {
      const active = config.features.includes(feature.name);
      const canvas = h("canvas", { class: "heatmap" });
      const node = h("div", { class: `node feature${active ? " active" : ""}`, "data-feature": feature.name,
        title: active ? `${feature.label}: click to leave it out` : `${feature.label}: click to feed it in`,
        onclick: () => this.toggleFeature(feature.name) }, canvas);
      this.featureCanvases.set(feature.name, canvas);
      node.addEventListener("mouseenter", () => showCard(node, feature.label,
        `an input feature${active ? "" : " (left out)"}: its value over the plane, scaled to [−1, 1]`,
        () => featureGrid(feature.name)));
      node.addEventListener("mouseleave", hideCard);
      this.featuresColumn.append(h("div", { class: "feature-row" }, h("span", { class: "label" }, feature.label), node));
    }
    for (const name of config.features) {
      const row = this.featuresColumn.querySelector<HTMLElement>(`.node[data-feature="${name}"]`);
      if (row) inputs.push(row);
    }
    this.nodes.push(inputs);

    // hidden layers
    const hidden = sizes.slice(1, -1);
    const limits = choices.limits;
    const header = h("div", { class: "layers-header" },
      h("button", { class: "round", title: "Add a hidden layer", "aria-label": "add layer", id: "add-layer",
        disabled: hidden.length >= limits.layers, onclick: () => this.changeLayers(+1) }, icon(ICONS.plus, 18)),
      h("button", { class: "round", title: "Remove the last hidden layer", "aria-label": "remove layer", id: "remove-layer",
        disabled: hidden.length === 0, onclick: () => this.changeLayers(-1) }, icon(ICONS.minus, 18)),
      h("span", { class: "count" }, `${hidden.length} hidden layer${hidden.length === 1 ? "" : "s"}`));
    const layers = h("div", { class: "layers" });
    hidden.forEach((n, i) => {
      const l = i + 1;
      const activation = config.activations[i] ?? "";
      const column = h("div", { class: "layer", "data-layer": l },
        h("div", { class: "layer-controls" },
          h("button", { class: "round small", title: "Add a neuron", "aria-label": `add neuron to layer ${l}`,
            disabled: n >= limits.neurons, onclick: () => this.changeNeurons(i, +1) }, icon(ICONS.plus, 14)),
          h("button", { class: "round small", title: "Remove a neuron", "aria-label": `remove neuron from layer ${l}`,
            disabled: n <= 1, onclick: () => this.changeNeurons(i, -1) }, icon(ICONS.minus, 14))),
        h("div", { class: "layer-title" }, `${n} neuron${n === 1 ? "" : "s"}`),
        select(choices.activations.map((a) => [a, a]), activation, (a) => {
          const activations = [...config.activations];
          activations[i] = a;
          void configure({ activations });
        }, { class: "activation", "aria-label": `activation of layer ${l}`, title: `Layer ${l}'s activation` }));
      const nodes: HTMLElement[] = [];
      for (let j = 0; j < n; j++) {
        const node = this.neuron(l, j, `Layer ${l}, neuron ${j + 1}`, activation);
        nodes.push(node);
        column.append(node);
      }
      this.nodes.push(nodes);
      layers.append(column);
    });
    this.layersColumn.replaceChildren(header, layers);

    // output units (the last Linear layer's rows)
    const L = sizes.length - 1;
    const outputs: HTMLElement[] = [];
    this.outputColumn.replaceChildren();
    if (L >= 1) {
      const n = sizes[L];
      for (let j = 0; j < n; j++) {
        const label = n === 1 ? "output" : `output ${j}`;
        const node = h("div", { class: "node out", "data-layer": L, "data-index": j, title: `${label}: click for its formula`,
          onclick: (event: Event) => this.clickNode({ kind: "neuron", layer: L, index: j }, event as MouseEvent) },
        h("span", {}, n === 1 ? "ŷ" : `ŷ${subscript(j)}`));
        outputs.push(node);
        this.outputColumn.append(node);
      }
    }
    this.nodes.push(outputs);
    this.buildLinks(sizes);
    requestAnimationFrame(() => this.layoutLinks());
    if (this.selected) this.select(this.selected);
  }

  private neuron(l: number, j: number, title: string, activation: string): HTMLElement {
    const canvas = h("canvas", { class: "heatmap" });
    const node = h("div", { class: "node neuron", "data-layer": l, "data-index": j,
      onclick: (event: Event) => this.clickNode({ kind: "neuron", layer: l, index: j }, event as MouseEvent) }, canvas);
    node.addEventListener("mouseenter", () => showCard(node, title,
      `${activation}: its output over the plane (click for its formula)`,
      () => store.frame?.neurons[l - 1]?.[j] ?? null));
    node.addEventListener("mouseleave", hideCard);
    return node;
  }

  private buildLinks(sizes: number[]): void {
    this.svg.replaceChildren();
    this.links = [];
    const paths = s("g", { class: "paths" });
    const hits = s("g", { class: "hits" });
    for (let l = 1; l < sizes.length; l++) {
      const layer: Link[][] = [];
      for (let row = 0; row < sizes[l]; row++) {
        const links: Link[] = [];
        for (let col = 0; col < sizes[l - 1]; col++) {
          const path = s("path", { class: "link" });
          const hit = s("path", { class: "hit", "data-layer": l, "data-row": row, "data-col": col });
          hit.addEventListener("click", (event) => this.clickNode({ kind: "link", layer: l, row, col }, event));
          withTooltip(hit, () => this.linkText(l, row, col));
          paths.append(path);
          hits.append(hit);
          links.push({ path, hit });
        }
        layer.push(links);
      }
      this.links.push(layer);
    }
    this.svg.append(paths, hits);
  }

  private linkText(l: number, row: number, col: number): string {
    const frame = store.frame;
    const w = frame?.weights[l - 1]?.[row]?.[col];
    const g = frame?.gradients?.[l - 1]?.[row]?.[col];
    const lines = [`${weightName(l, row, col)} = ${w === undefined ? "?" : fmt(w)}`];
    if (g !== undefined) lines.push(`∂L/∂w = ${fmt(g)} (last step)`);
    lines.push("Click to edit it and see its update");
    return lines.join("\n");
  }

  /** Place every link between its two nodes (after layout changes). */
  layoutLinks(): void {
    const origin = this.root.getBoundingClientRect();
    this.svg.setAttribute("width", String(origin.width));
    this.svg.setAttribute("height", String(origin.height));
    this.links.forEach((layer, i) => layer.forEach((links, row) => links.forEach((link, col) => {
      const from = this.nodes[i]?.[col]?.getBoundingClientRect();
      const to = this.nodes[i + 1]?.[row]?.getBoundingClientRect();
      if (!from || !to) return;
      const x0 = from.right - origin.left, y0 = from.top + from.height / 2 - origin.top;
      const x1 = to.left - origin.left, y1 = to.top + to.height / 2 - origin.top;
      const xm = (x0 + x1) / 2;
      const d = `M${x0},${y0} C${xm},${y0} ${xm},${y1} ${x1},${y1}`;
      link.path.setAttribute("d", d);
      link.hit.setAttribute("d", d);
    })));
  }

  private update(frame: Frame): void {
    this.featureCanvases.forEach((canvas, name) => {
      const grid = featureGrid(name);
      if (grid) drawGrid(canvas, grid);
    });
    frame.neurons.forEach((grids, i) => grids.forEach((grid, j) => {
      const canvas = this.nodes[i + 1]?.[j]?.querySelector("canvas");
      if (canvas) drawGrid(canvas, grid);
    }));
    frame.weights.forEach((W, i) => W.forEach((row, r) => row.forEach((w, c) => {
      const link = this.links[i]?.[r]?.[c];
      if (!link) return;
      link.path.setAttribute("stroke", css(diverging(w)));
      link.path.setAttribute("stroke-width", String(Math.min(7, 0.6 + 1.5 * Math.abs(w))));
    })));
    this.showDiagnostics(frame.diagnostics ?? []);
  }

  private showDiagnostics(diagnostics: Diagnostic[]): void {
    const key = JSON.stringify(diagnostics);
    if (key === this.diagnosticsKey) return;
    this.diagnosticsKey = key;
    this.root.querySelectorAll(".badge").forEach((b) => b.remove());
    for (const d of diagnostics) {
      const badge = h("span", { class: `badge ${d.kind}`, "data-kind": d.kind }, "!");
      withTooltip(badge, () => `${d.message}\nFix: ${d.fix}`);
      const node = d.neuron === null || d.layer === null ? null : this.nodes[d.layer]?.[d.neuron];
      const layer = this.layersColumn.querySelector(`.layer[data-layer="${d.layer}"] .layer-title`);
      (node ?? layer ?? this.outputColumn).append(badge);
    }
  }

  private clickNode(target: Target, event: MouseEvent): void {
    event.stopPropagation();
    hideCard(); // the editor opens where the pointer is
    this.select(target);
    this.pick(target, event);
  }

  private toggleFeature(name: string): void {
    const active = new Set(store.config.features);
    if (active.has(name)) active.delete(name);
    else active.add(name);
    void configure({ features: store.choices.features.map((f) => f.name).filter((f) => active.has(f)) });
  }

  private changeLayers(delta: number): void {
    const layers = [...store.config.layers], activations = [...store.config.activations];
    if (delta > 0) {
      layers.push(2);
      activations.push(activations[activations.length - 1] ?? "tanh");
    } else {
      layers.pop();
      activations.pop();
    }
    void configure({ layers, activations });
  }

  private changeNeurons(i: number, delta: number): void {
    const layers = [...store.config.layers];
    layers[i] += delta;
    void configure({ layers });
  }
}

/** Which feature each of a frame's feature grids shows: every CHOICES feature, or the active ones in CONFIG order. */
function featureNames(frame: Frame): string[] {
  return frame.features.length === store.choices.features.length
    ? store.choices.features.map((f) => f.name) : store.config.features;
}

function featureGrid(name: string): string | null {
  const frame = store.frame;
  const i = frame ? featureNames(frame).indexOf(name) : -1;
  return (frame && i >= 0 ? frame.features[i] : undefined) ?? store.featureMaps[name] ?? null;
}

export function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

const SUB = "₀₁₂₃₄₅₆₇₈₉", SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹";
export const subscript = (n: number) => String(n).split("").map((d) => SUB[Number(d)]).join("");
export const superscript = (n: number) => String(n).split("").map((d) => SUP[Number(d)]).join("");
/** Wˡᵢⱼ as glassnet.explain writes it: the layer above, row and column from 1 (the protocol counts them from 0). */
export const weightName = (l: number, row: number, col: number) =>
  `W${superscript(l)}${subscript(row + 1)},${subscript(col + 1)}`;
export const biasName = (l: number, index: number) => `b${superscript(l)}${subscript(index + 1)}`;
