// The whole CONFIG in the URL hash: `#` + URL-encoded key=value pairs, lists comma-joined.

import type { Config, Value } from "./types";

export function toHash(config: Config): string {
  const pairs = Object.keys(config).map((key) => {
    const value = config[key];
    const text = Array.isArray(value) ? value.join(",") : String(value);
    return `${encodeURIComponent(key)}=${encodeURIComponent(text)}`;
  });
  return "#" + pairs.join("&");
}

function parseLike(text: string, like: Value): Value | undefined {
  if (Array.isArray(like)) {
    const parts = text === "" ? [] : text.split(",");
    const numeric = like.length > 0 ? typeof like[0] === "number" : /^-?[\d.]+$/.test(parts[0] ?? "");
    if (!numeric) return parts;
    const numbers = parts.map(Number);
    return numbers.every(Number.isFinite) ? numbers : undefined;
  }
  if (typeof like === "number") {
    const number = Number(text);
    return text !== "" && Number.isFinite(number) ? number : undefined;
  }
  if (typeof like === "boolean") {
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
    return undefined;
  }
  return text;
}

/**
 * The changes a hash asks for, typed like the current CONFIG: keys it does not know and values
 * that do not parse are left out (the server checks ranges and names and says what is wrong).
 */
export function fromHash(hash: string, current: Config): Partial<Config> {
  const changes: Record<string, Value> = {};
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  if (body === "") return changes as Partial<Config>;
  for (const pair of body.split("&")) {
    const at = pair.indexOf("=");
    if (at < 0) continue;
    const key = decodeURIComponent(pair.slice(0, at));
    if (!(key in current)) continue;
    const value = parseLike(decodeURIComponent(pair.slice(at + 1)), current[key]);
    if (value !== undefined && !same(value, current[key])) changes[key] = value;
  }
  return changes as Partial<Config>;
}

export function same(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}
