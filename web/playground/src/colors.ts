// Colours and decoding: TensorFlow Playground's scale (orange −1, light grey 0, blue +1), one colour
// per class, and the base64 grids and float arrays the frames carry.

export type RGB = [number, number, number];

export const ORANGE: RGB = [245, 147, 34];
export const NEUTRAL: RGB = [232, 234, 235];
export const BLUE: RGB = [8, 119, 189];
/** Class k's colour: class 0 orange and class 1 blue as TensorFlow Playground's −1 and +1. */
export const CLASS_COLORS: RGB[] = [ORANGE, BLUE, [46, 160, 67], [142, 68, 173], [214, 39, 40], [23, 190, 207],
  [140, 86, 75], [188, 189, 34]];

export function css([r, g, b]: RGB): string {
  return `rgb(${r},${g},${b})`;
}

export function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** A value in [−1, 1] (clipped) on the orange–grey–blue scale. */
export function diverging(value: number): RGB {
  const v = Math.max(-1, Math.min(1, value));
  return v < 0 ? mix(NEUTRAL, ORANGE, -v) : mix(NEUTRAL, BLUE, v);
}

/** The scale for the 256 byte values of a grid, 0 → −1 and 255 → +1. */
export const BYTE_SCALE: RGB[] = Array.from({ length: 256 }, (_, i) => diverging((i / 255) * 2 - 1));

export function classColor(k: number): RGB {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

export function weightColor(w: number): string {
  return w >= 0 ? css(BLUE) : css(ORANGE);
}

export function bytes(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Little-endian float32 numbers from base64. */
export function floats(b64: string): Float32Array {
  const raw = bytes(b64);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(raw.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
