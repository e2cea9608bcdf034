// Heatmaps: a frame's quantized grids painted into canvases (one pixel per grid cell; CSS scales
// them up and the browser smooths them, as TensorFlow Playground's are).

import { BYTE_SCALE, type RGB, bytes, classColor, mix, NEUTRAL } from "./colors";
import type { Frame } from "./types";

function paint(canvas: HTMLCanvasElement, size: number, colorAt: (i: number) => RGB): void {
  if (canvas.width !== size || canvas.height !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const context = canvas.getContext("2d");
  if (!context) return;
  const image = context.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = colorAt(i);
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** A neuron's or feature's grid (bytes over [−1, 1]) on the diverging scale. */
export function drawGrid(canvas: HTMLCanvasElement, b64: string): void {
  const grid = bytes(b64);
  const size = Math.round(Math.sqrt(grid.length));
  paint(canvas, size, (i) => BYTE_SCALE[grid[i]]);
}

/** The network's output over the grid: P(class 1), the winning class, or the prediction. */
export function drawOutput(canvas: HTMLCanvasElement, output: Frame["output"], discretize: boolean,
                           nClasses: number): void {
  const values = bytes(output.values);
  const size = Math.round(Math.sqrt(values.length));
  if (output.kind === "classes" && output.classes) {
    const classes = bytes(output.classes);
    // the winning probability is at least 1/K; show how far above a tie it is
    const lowest = 1 / Math.max(2, nClasses);
    paint(canvas, size, (i) => {
      const t = discretize ? 0.75 : Math.max(0, (values[i] / 255 - lowest) / (1 - lowest));
      return mix(NEUTRAL, classColor(classes[i]), 0.15 + 0.75 * t);
    });
  } else if (output.kind === "binary" && discretize) {
    paint(canvas, size, (i) => BYTE_SCALE[values[i] >= 128 ? 255 : 0]);
  } else {
    paint(canvas, size, (i) => BYTE_SCALE[values[i]]);
  }
}
