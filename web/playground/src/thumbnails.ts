// The data set pictures of the data column: small sketches of each data set's shape drawn here
// (they only say which set is which; the data the network sees come from the server).

import { type RGB, classColor, css, diverging } from "./colors";

type Point = [number, number, RGB];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const SKETCHES: Record<string, (rand: () => number) => Point[]> = {
  circle: (rand) => Array.from({ length: 120 }, (_, i) => {
    const inside = i % 2 === 0, r = inside ? rand() * 2.2 : 3.2 + rand() * 1.8, a = rand() * 2 * Math.PI;
    return [r * Math.cos(a), r * Math.sin(a), classColor(inside ? 1 : 0)];
  }),
  xor: (rand) => Array.from({ length: 120 }, () => {
    const x = rand() * 10 - 5, y = rand() * 10 - 5;
    return [x, y, classColor(x * y > 0 ? 1 : 0)];
  }),
  gauss: (rand) => Array.from({ length: 110 }, (_, i) => {
    const c = i % 2 === 0 ? 2 : -2;
    return [c + normal(rand), c + normal(rand), classColor(c > 0 ? 1 : 0)];
  }),
  spiral: (rand) => Array.from({ length: 130 }, (_, i) => {
    const k = i % 2, t = (Math.floor(i / 2) / 65) * 1.75 * 2 * Math.PI, r = t / 2.2;
    return [r * Math.sin(t + k * Math.PI) + normal(rand) * 0.1, r * Math.cos(t + k * Math.PI) + normal(rand) * 0.1,
      classColor(k === 0 ? 1 : 0)];
  }),
  blobs3: (rand) => Array.from({ length: 120 }, (_, i) => {
    const k = i % 3, a = (k / 3) * 2 * Math.PI + 0.5;
    return [3 * Math.cos(a) + normal(rand) * 0.9, 3 * Math.sin(a) + normal(rand) * 0.9, classColor(k)];
  }),
  plane: (rand) => Array.from({ length: 120 }, () => {
    const x = rand() * 10 - 5, y = rand() * 10 - 5;
    return [x, y, diverging((x + y) / 8)];
  }),
  multigauss: (rand) => Array.from({ length: 130 }, () => {
    const x = rand() * 10 - 5, y = rand() * 10 - 5;
    const bump = (cx: number, cy: number, s: number) => s * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 4);
    return [x, y, diverging(bump(-2, 2.5, 1) + bump(2, -2, 1) - bump(2.5, 2.5, 1) - bump(-2.5, -2.5, 1))];
  }),
  custom: (rand) => Array.from({ length: 16 }, (_, i) => [rand() * 8 - 4, rand() * 8 - 4, classColor(i % 2)]),
};

export function hasSketch(name: string): boolean {
  return name in SKETCHES;
}

/** Draw data set `name` into `canvas` (square, in CSS pixels × devicePixelRatio). */
export function drawThumbnail(canvas: HTMLCanvasElement, name: string): void {
  const size = canvas.width;
  const context = canvas.getContext("2d");
  if (!context) return;
  context.fillStyle = "#f7f8f9";
  context.fillRect(0, 0, size, size);
  const sketch = SKETCHES[name];
  if (!sketch) return;
  const scale = size / 12;
  for (const [x, y, color] of sketch(random(7))) {
    context.beginPath();
    context.arc(size / 2 + x * scale, size / 2 - y * scale, size / 34, 0, 2 * Math.PI);
    context.fillStyle = css(color);
    context.fill();
  }
  if (name === "custom") {
    context.strokeStyle = "#57606a";
    context.lineWidth = size / 24;
    context.beginPath();
    const m = size / 2;
    context.moveTo(m, m + size / 5);
    context.lineTo(m, m - size / 5);
    context.moveTo(m - size / 8, m - size / 14);
    context.lineTo(m, m - size / 5);
    context.lineTo(m + size / 8, m - size / 14);
    context.stroke();
  }
}
