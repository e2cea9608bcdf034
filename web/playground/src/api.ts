// Talking to `glassnet playground`: the session token from ?token=, JSON commands, the frame stream.

import type { Choices, Config, Explanation, Frame, Target } from "./types";

export const token = new URLSearchParams(location.search).get("token") ?? "";

export interface State {
  config: Config;
  frame: Frame;
  choices: Choices;
  /** Every input feature's heatmap by name (they never change): drawn for features left out. */
  feature_maps: Record<string, string>;
}

export interface Reply {
  ok: true;
  config: Config;
  frame: Frame;
  explain?: Explanation;
}

/** One clear line from the server (a 400 or 403 reply), shown to the learner as it is. */
export class ApiError extends Error {}

async function read<T>(response: Response): Promise<T> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`the server answered ${response.status} without a message`);
  }
  if (!response.ok) {
    const message = (body as { error?: string } | null)?.error;
    throw new ApiError(message ?? `the server answered ${response.status}`);
  }
  return body as T;
}

export function apiUrl(path: string): string {
  return `api/${path}?token=${encodeURIComponent(token)}`;
}

export async function getState(): Promise<State> {
  return read<State>(await fetch(apiUrl("state")));
}

export async function command(op: string, args: Record<string, unknown> = {}): Promise<Reply> {
  const response = await fetch("api/command", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Glassnet-Token": token },
    body: JSON.stringify({ op, ...args }),
  });
  return read<Reply>(response);
}

export async function explain(target: Target, sample: number): Promise<Explanation> {
  const reply = await command("explain", { target, sample });
  if (!reply.explain) throw new ApiError("the server sent no explanation");
  return reply.explain;
}

export async function upload(csv: string): Promise<Reply> {
  const response = await fetch("api/upload", {
    method: "POST",
    headers: { "Content-Type": "text/csv", "X-Glassnet-Token": token },
    body: csv,
  });
  return read<Reply>(response);
}

/** The frame stream; the browser reconnects by itself when the connection drops. */
export function frames(onFrame: (frame: Frame) => void, onStatus: (connected: boolean) => void): EventSource {
  const source = new EventSource(apiUrl("events"));
  source.addEventListener("frame", (event) => onFrame(JSON.parse((event as MessageEvent<string>).data) as Frame));
  source.onopen = () => onStatus(true);
  source.onerror = () => onStatus(false);
  return source;
}
