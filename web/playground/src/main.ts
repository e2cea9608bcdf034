// glassnet playground: the page. The server trains; the page draws its frames and sends commands.

import "./style.css";
import { frames, getState, token } from "./api";
import { DataColumn, TopBar } from "./controls";
import { h } from "./dom";
import { ExplainPanel } from "./explain";
import { fromHash } from "./hash";
import { biasName, NetworkView, weightName } from "./network";
import { OutputView } from "./output";
import { mountOverlays, openEditor, refreshCard, showError as toast } from "./overlays";
import { configure, onConfig, onError, onFrame, send, setConfig, setFrame, store } from "./store";
import type { Target } from "./types";

async function main(): Promise<void> {
  const linked = location.hash; // read before the first CONFIG rewrites the hash
  const app = document.getElementById("app") as HTMLElement;
  mountOverlays();
  onError(toast);
  if (!token) {
    app.replaceChildren(h("p", { class: "starting" },
      "This page needs the address `glassnet playground` printed, with its ?token=…; open that one."));
    return;
  }

  const state = await getState();
  store.choices = state.choices;
  store.featureMaps = state.feature_maps;
  setConfig(state.config);
  setFrame(state.frame);

  const top = new TopBar();
  const data = new DataColumn();
  const output = new OutputView();
  const panel = new ExplainPanel(() => network.select(null), () => output.redrawPoints());
  const network = new NetworkView((target, event) => pick(target, event));

  function pick(target: Target, event: MouseEvent): void {
    panel.open(target);
    const frame = store.frame;
    if (!frame) return;
    if (target.kind === "link") {
      const w = frame.weights[target.layer - 1]?.[target.row]?.[target.col] ?? 0;
      openEditor(event.clientX, event.clientY, `${weightName(target.layer, target.row, target.col)} =`, w, (value) =>
        void send("set_weight", { layer: target.layer, row: target.row, col: target.col, value }));
    } else {
      const b = frame.biases[target.layer - 1]?.[target.index] ?? 0;
      openEditor(event.clientX, event.clientY, `${biasName(target.layer, target.index)} =`, b, (value) =>
        void send("set_bias", { layer: target.layer, row: target.index, value }));
    }
  }

  app.replaceChildren(top.root, h("main", { class: "columns" }, data.root, network.root, output.root), panel.root);

  onConfig(() => {
    top.renderConfig();
    data.render();
    network.render();
    output.render();
  });
  onFrame(() => {
    top.renderFrame();
    network.render();
    output.render();
    refreshCard();
    panel.refresh();
  });
  top.renderConfig();
  top.renderFrame();
  data.render();
  network.render();
  output.render();

  // a link with a configuration: apply it before anything plays
  const changes = fromHash(linked, store.config);
  if (Object.keys(changes).length > 0) {
    const reply = await configure(changes);
    if (!reply) setConfig(store.config); // refused: the hash shows what runs
  }
  frames(setFrame, (connected) => document.body.classList.toggle("offline", !connected));
  document.body.classList.add("ready");
  window.addEventListener("resize", () => network.layoutLinks());
}

main().catch((error) => {
  const app = document.getElementById("app");
  app?.replaceChildren(h("p", { class: "starting error" }, `The playground could not start: ${error instanceof Error ? error.message : error}`));
});
