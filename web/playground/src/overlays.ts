// The floating pieces: a tooltip, the large heatmap shown while hovering a node, the small input
// that edits a weight or a bias, and the line that shows a refused command.

import { h } from "./dom";
import { drawGrid } from "./heatmap";

const tooltip = h("div", { class: "tooltip", role: "tooltip" });
const card = h("div", { class: "hovercard" });
const cardCanvas = h("canvas", { class: "heatmap" });
const cardTitle = h("div", { class: "title" });
const cardNote = h("div", { class: "note" });
card.append(cardTitle, cardCanvas, cardNote);
const toast = h("div", { class: "toast", id: "error", role: "alert" });
let toastTimer = 0;

export function mountOverlays(): void {
  document.body.append(tooltip, card, toast, editor);
}

function place(element: HTMLElement, x: number, y: number): void {
  const { width, height } = element.getBoundingClientRect();
  const left = Math.min(x + 14, window.innerWidth - width - 8);
  const top = y + 14 + height > window.innerHeight ? y - height - 10 : y + 14;
  element.style.left = `${Math.max(4, left)}px`;
  element.style.top = `${Math.max(4, top)}px`;
}

/** Show `text()` (lines; a line starting with "Fix:" is set apart) while the pointer is over `element`. */
export function withTooltip(element: Element, text: () => string): void {
  element.addEventListener("mouseenter", (event) => {
    tooltip.replaceChildren(...text().split("\n").map((line) =>
      h("div", { class: line.startsWith("Fix:") ? "fix" : "" }, line)));
    tooltip.classList.add("shown");
    place(tooltip, (event as MouseEvent).clientX, (event as MouseEvent).clientY);
  });
  element.addEventListener("mousemove", (event) =>
    place(tooltip, (event as MouseEvent).clientX, (event as MouseEvent).clientY));
  element.addEventListener("mouseleave", () => tooltip.classList.remove("shown"));
}

let cardSource: (() => string | null) | null = null;

/** The large heatmap of a node beside it, redrawn from `grid()` on every frame while shown. */
export function showCard(anchor: Element, title: string, note: string, grid: () => string | null): void {
  cardSource = grid;
  cardTitle.textContent = title;
  cardNote.textContent = note;
  refreshCard();
  card.classList.add("shown");
  const box = anchor.getBoundingClientRect();
  const { width, height } = card.getBoundingClientRect();
  const left = box.right + 12 + width < window.innerWidth ? box.right + 12 : box.left - width - 12;
  card.style.left = `${Math.max(4, left)}px`;
  card.style.top = `${Math.max(4, Math.min(box.top - 40, window.innerHeight - height - 8))}px`;
}

export function refreshCard(): void {
  const grid = cardSource?.();
  if (grid) drawGrid(cardCanvas, grid);
}

export function hideCard(): void {
  cardSource = null;
  card.classList.remove("shown");
}

export function showError(message: string): void {
  toast.textContent = message;
  toast.classList.add("shown");
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => toast.classList.remove("shown"), 8000);
}

const editorLabel = h("label", { for: "editor-input" });
const editorInput = h("input", { id: "editor-input", type: "number", step: "any" });
const editor = h("div", { class: "editor", id: "editor" }, editorLabel, editorInput);
let commit: ((value: number) => void) | null = null;

editorInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    const value = Number(editorInput.value);
    if (editorInput.value.trim() !== "" && Number.isFinite(value)) commit?.(value);
    closeEditor();
  } else if (event.key === "Escape") closeEditor();
});

/** A small input at (x, y) to type a new value for a weight or a bias; Enter sends it, Esc closes. */
export function openEditor(x: number, y: number, label: string, value: number, onCommit: (value: number) => void): void {
  commit = onCommit;
  editorLabel.textContent = label;
  editorInput.value = String(Number(value.toPrecision(6)));
  editor.classList.add("shown");
  place(editor, x, y);
  editorInput.focus();
  editorInput.select();
}

export function closeEditor(): void {
  commit = null;
  editor.classList.remove("shown");
}

document.addEventListener("mousedown", (event) => {
  if (editor.classList.contains("shown") && !editor.contains(event.target as Node)) closeEditor();
}, true);
